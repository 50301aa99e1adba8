import Foundation
import XCTest

/// Copies of the sample orientation package (`samples/models/orientation-d4`) for tests that
/// run it as it is or with its metadata changed.
enum SampleOrientationPackage {
    /// Copies the package to `path` and, when given, lets `edit` change its `metadata.json`
    /// (read and written back as a JSON object); returns `path`.
    static func copy(to path: String,
                     edit: ((inout [String: Any]) throws -> Void)? = nil) throws -> String {
        try FileManager.default.copyItem(
            atPath: CLIRunner.packageRoot.appendingPathComponent("samples/models/orientation-d4")
                .path, toPath: path)
        guard let edit else { return path }
        let file = URL(fileURLWithPath: path + "/metadata.json")
        var metadata = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: file)) as? [String: Any])
        try edit(&metadata)
        try JSONSerialization.data(withJSONObject: metadata).write(to: file)
        return path
    }
}
