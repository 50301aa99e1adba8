import Foundation
import XCTest

extension XCTestCase {
    /// A new empty folder under the system temporary directory, named `prefix-UUID`, removed
    /// when the test ends.
    public func temporaryFolder(prefix: String = "equiscan-test") -> String {
        let path = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// An empty file per name in `folder`, created with the folder (for tests where listing is
    /// all that matters, such as splits).
    public func touchEmptyFiles(_ folder: String, _ names: [String]) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for name in names {
            XCTAssertTrue(FileManager.default.createFile(atPath: "\(folder)/\(name)",
                                                         contents: Data()))
        }
    }

    /// `temporaryFolder(prefix:)` as a file URL.
    public func temporaryFolderURL(prefix: String = "equiscan-test") -> URL {
        URL(fileURLWithPath: temporaryFolder(prefix: prefix), isDirectory: true)
    }
}
