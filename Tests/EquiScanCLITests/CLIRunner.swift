import Foundation
import XCTest
import _TestSupport

/// Runs the built `equiscan` binary and captures what it prints and how it exits.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum CLIRunner {
    /// The directory holding the built products (the test bundle sits next to `equiscan`).
    static var productsDirectory: URL {
        #if os(macOS)
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        return Bundle.main.bundleURL
        #else
        return Bundle.main.bundleURL
        #endif
    }

    /// The package root (for `samples/`).
    static var packageRoot: URL {
        Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Path of a file under `samples/scans`.
    static func sample(_ name: String) -> String {
        packageRoot.appendingPathComponent("samples/scans/" + name).path
    }

    /// Runs `equiscan arguments…` to completion.
    static func run(_ arguments: [String], file: StaticString = #filePath,
                    line: UInt = #line) throws -> CLIResult {
        let binary = productsDirectory.appendingPathComponent("equiscan")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            XCTFail("equiscan binary not found at \(binary.path)", file: file, line: line)
            throw CocoaError(.fileNoSuchFile)
        }
        return try run(executable: binary, arguments)
    }

    /// Runs `executable arguments…` to completion, in `environment` (this process's when nil).
    static func run(executable: URL, _ arguments: [String],
                    environment: [String: String]? = nil) throws -> CLIResult {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        // stdout through a pipe, stderr through a file: neither can fill up and block the
        // child while the other is being read.
        let errURL = FileManager.default.temporaryDirectory
            .appendingPathComponent("equiscan-stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errURL) }
        let errHandle = try FileHandle(forWritingTo: errURL)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = errHandle
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try errHandle.close()
        let errData = try Data(contentsOf: errURL)
        return CLIResult(status: process.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs `command` with `/bin/sh -c` (for a umask or other shell state).
    static func runShell(_ command: String) throws -> CLIResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLIResult(status: process.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Parses stdout as one JSON array of objects.
    static func jsonArray(_ result: CLIResult, file: StaticString = #filePath,
                          line: UInt = #line) throws -> [[String: Any]] {
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        return try XCTUnwrap(object as? [[String: Any]],
                             "stdout must be one JSON array of objects: \(result.stdout)",
                             file: file, line: line)
    }
}
