import Foundation

/// Locates the committed test fixtures under `Tests/Fixtures/` from this source file's
/// location, so tests need no resource bundle and never read outside the repository.
public enum Fixtures {
    /// The `Tests/Fixtures` folder of this checkout.
    public static var root: URL {
        URL(fileURLWithPath: #filePath)       // Sources/_TestSupport/Fixtures.swift
            .deletingLastPathComponent()      // Sources/_TestSupport
            .deletingLastPathComponent()      // Sources
            .deletingLastPathComponent()      // package root
            .appendingPathComponent("Tests/Fixtures", isDirectory: true)
    }

    /// The fixture at `relativePath` below `Tests/Fixtures`, e.g. `conformance/expected.json`.
    public static func url(_ relativePath: String) -> URL {
        root.appendingPathComponent(relativePath)
    }

    /// The fixture's file-system path.
    public static func path(_ relativePath: String) -> String {
        url(relativePath).path
    }

    /// The fixture's bytes; fails the calling test by throwing when the file is missing.
    public static func bytes(_ relativePath: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url(relativePath)))
    }
}
