import Foundation
import ImageCodecs
import TensorCore
import _TestSupport

/// The upright scans of `Tests/Fixtures/orientation/` as (1, 1, H, W) tensors in [0, 1].
enum OrientationFixtures {
    /// Every fixture by file name, sorted.
    static func load() throws -> [(name: String, image: Tensor)] {
        let folder = Fixtures.url("orientation")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".png") }.sorted()
        return try names.map { name in
            let scan = try ImageDecoder.decode(path: folder.appendingPathComponent(name).path)
            guard case let .uint8(samples) = scan.samples, scan.channels == 1 else {
                throw CocoaError(.fileReadCorruptFile)
            }
            return (name, Tensor(shape: [1, 1, scan.height, scan.width],
                                 storage: samples.map { Float($0) / 255 }))
        }
    }
}
