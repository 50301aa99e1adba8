#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest
import _TestSupport
@testable import SafeFiles

final class AtomicFileTests: XCTestCase {
    override func tearDown() {
        ProtectedInputs.shared.removeAll()
    }

    private func hiddenFiles(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasPrefix(".") }
    }

    func testWriteReplacesWholeFileAndLeavesNoTemporary() throws {
        let folder = temporaryFolder()
        let path = folder + "/out.txt"
        try AtomicFile.write("old", to: path)
        try AtomicFile.write("new contents", to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "new contents")
        XCTAssertEqual(hiddenFiles(in: folder), [])
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o644)
        XCTAssertTrue(TemporaryFiles.shared.inFlight.isEmpty)
    }

    func testRefusesToWriteOverAnInputByPathSymlinkOrHardLink() throws {
        let folder = temporaryFolder()
        let input = folder + "/scan.png"
        try Data("original".utf8).write(to: URL(fileURLWithPath: input))
        try FileManager.default.createSymbolicLink(atPath: folder + "/alias.png",
                                                   withDestinationPath: input)
        XCTAssertEqual(link(input, folder + "/hard.png"), 0)
        ProtectedInputs.shared.protect([input])
        for destination in [input, folder + "/alias.png", folder + "/hard.png",
                            folder + "/./scan.png"] {
            XCTAssertThrowsError(try AtomicFile.write("turned", to: destination)) { error in
                XCTAssertEqual((error as? SafeFileError)?.kind, .wouldOverwriteInput,
                               "\(destination): \(error)")
                XCTAssertTrue(String(describing: error).contains(input), "\(error)")
            }
        }
        XCTAssertEqual(try String(contentsOfFile: input, encoding: .utf8), "original")
        XCTAssertEqual(hiddenFiles(in: folder), [])
        // A new file beside the input is fine.
        try AtomicFile.write("turned", to: folder + "/upright.png")
    }

    func testFolderDestinationAndMissingFolderAreOneLineErrors() throws {
        let folder = temporaryFolder()
        XCTAssertThrowsError(try AtomicFile.write("x", to: folder)) { error in
            XCTAssertEqual((error as? SafeFileError)?.kind, .invalidDestination)
        }
        let missing = folder + "/no/such/folder/out.txt"
        XCTAssertThrowsError(try AtomicFile.write("x", to: missing)) { error in
            let message = String(describing: error)
            XCTAssertEqual((error as? SafeFileError)?.kind, .io)
            XCTAssertTrue(message.hasPrefix(missing + ": "), message)
            XCTAssertFalse(message.contains("\n"), message)
        }
    }

    func testJSONWithNonFiniteNumberIsOurError() throws {
        let folder = temporaryFolder()
        XCTAssertThrowsError(try AtomicFile.writeJSON(["x": Double.nan], to: folder + "/a.json"))
        { error in
            XCTAssertFalse(String(describing: error).contains("EncodingError"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/a.json"))
    }
}

final class TemporaryFilesTests: XCTestCase {
    func testNamePatternIsExact() {
        XCTAssertEqual(TemporaryName.writerProcess(of: ".scan.png.tmp-4242-aB3xYz"), 4242)
        XCTAssertEqual(TemporaryName.writerProcess(of: ".a.tmp-b.tmp-17-000000"), 17)
        for foreign in [".scan.png.tmp-XXXXXX", "scan.png.tmp-12-abcdef", ".tmp-12-abcdef",
                        ".scan.png.tmp-12-abcde", ".scan.png.tmp-12-abcdefg",
                        ".scan.png.tmp--12-abcdef", ".scan.png.tmp-0-abcdef",
                        ".scan.png.swp", ".scan.png.tmp-12-abc/ef"] {
            XCTAssertNil(TemporaryName.writerProcess(of: foreign), foreign)
        }
        let prefix = TemporaryName.prefix(for: "out.tif")
        XCTAssertEqual(TemporaryName.writerProcess(of: prefix + "q1W2e3"), getpid())
    }

    func testRemoveAllDeletesInFlightFilesAndRefusesNewOnes() throws {
        let registry = TemporaryFiles()
        let folder = temporaryFolder()
        let created = try registry.create(in: folder, for: "big.tif")
        close(created.descriptor)
        XCTAssertTrue(FileManager.default.fileExists(atPath: created.path))
        XCTAssertEqual(registry.removeAllAndClose(), 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: created.path))
        XCTAssertThrowsError(try registry.create(in: folder, for: "next.tif"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), [])
    }
}

final class StaleTemporaryFilesTests: XCTestCase {
    /// The PID of a process that has exited.
    private func deadProcess() throws -> pid_t {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    private func makeFile(_ folder: String, _ name: String, age: TimeInterval) throws {
        let path = folder + "/" + name
        try Data("partial".utf8).write(to: URL(fileURLWithPath: path))
        let when = Date().addingTimeInterval(-age)
        try FileManager.default.setAttributes([.modificationDate: when], ofItemAtPath: path)
    }

    func testRemovesOnlyOurStaleFiles() throws {
        let folder = temporaryFolder()
        let dead = try deadProcess()
        let mine = getpid()
        try makeFile(folder, ".a.tif.tmp-\(dead)-Abc123", age: 120)   // dead writer, quiet
        try makeFile(folder, ".b.tif.tmp-\(dead)-Abc123", age: 1)     // dead, just written
        try makeFile(folder, ".c.tif.tmp-\(mine)-Abc123", age: 120)   // live writer
        try makeFile(folder, ".d.tif.tmp-\(mine)-Abc123", age: 7200)  // anyone, very old
        try makeFile(folder, ".e.tif.tmp-Abc123", age: 7200)          // not our pattern
        try makeFile(folder, "f.tif", age: 7200)                      // a user's file
        let removed = StaleTemporaryFiles.remove(in: folder)
        XCTAssertEqual(removed, [".a.tif.tmp-\(dead)-Abc123", ".d.tif.tmp-\(mine)-Abc123"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).sorted(),
                       [".b.tif.tmp-\(dead)-Abc123", ".c.tif.tmp-\(mine)-Abc123",
                        ".e.tif.tmp-Abc123", "f.tif"])
    }

    func testFirstWriteIntoAFolderSweepsIt() throws {
        let folder = temporaryFolder()
        let dead = try deadProcess()
        try makeFile(folder, ".old.png.tmp-\(dead)-zzzzzz", age: 600)
        try AtomicFile.write("x", to: folder + "/new.txt")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["new.txt"])
    }
}

final class OutputModesTests: XCTestCase {
    private func mode(_ path: String) -> mode_t {
        var info = stat()
        XCTAssertEqual(lstat(path, &info), 0, path)
        return info.st_mode & 0o7777
    }

    func testFoldersAreCreatedWithTheirParentsAndAFileInTheWayIsNamed() throws {
        let folder = temporaryFolder()
        try OutputModes.createFolder(folder + "/a//b/c/")
        for path in ["/a", "/a/b", "/a/b/c"] {
            XCTAssertEqual(mode(folder + path), 0o777 & ~OutputModes.mask, path)
        }
        XCTAssertEqual(OutputModes.mask & 0o002, 0o002, "never world-writable")
        try OutputModes.createFolder(folder + "/a/b")  // existing: fine
        try Data("x".utf8).write(to: URL(fileURLWithPath: folder + "/a/file"))
        XCTAssertThrowsError(try OutputModes.createFolder(folder + "/a/file/d")) { error in
            XCTAssertEqual("\(error)", folder + "/a/file: cannot create the folder: exists "
                           + "and is not a folder")
        }
    }

    func testRestrictOnlyRemovesPermissions() throws {
        let folder = temporaryFolder()
        let path = folder + "/scan.png"
        try Data("x".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(chmod(path, 0o666), 0)
        XCTAssertTrue(OutputModes.restrict(path))
        XCTAssertEqual(mode(path), 0o666 & OutputModes.file)
        XCTAssertEqual(chmod(path, 0o400), 0)
        XCTAssertTrue(OutputModes.restrict(path))
        XCTAssertEqual(mode(path), 0o400, "never adds a permission")
        XCTAssertEqual(symlink(path, folder + "/link.png"), 0)
        XCTAssertFalse(OutputModes.restrict(folder + "/link.png"), "symlinks are not followed")
    }
}
