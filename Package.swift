// swift-tools-version:6.0
import PackageDescription

/// The layers of DESIGN.md, lowest first; a target depends only on targets listed before it.
///
/// Debug builds of the numerical and codec modules are slow enough to dominate the test suite;
/// `make test` therefore builds with `-Xswiftc -O -Xcc -O2` on the command line (debug
/// configuration, so `@testable import` keeps working) instead of unsafe flags here, which
/// would stop other packages from depending on this one.
let package = Package(
    name: "EquiScan",
    // macOS 15 for `Mutex` and `Atomic` (Synchronization), which guard shared state.
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "equiscan", targets: ["EquiScanCLI"]),
        .library(name: "SafeFiles", targets: ["SafeFiles"]),
        .library(name: "StrictJSON", targets: ["StrictJSON"]),
        .library(name: "ImageCodecs", targets: ["ImageCodecs"]),
        .library(name: "TensorCore", targets: ["TensorCore"]),
        .library(name: "NeuralNet", targets: ["NeuralNet"]),
        .library(name: "Equivariance", targets: ["Equivariance"]),
        .library(name: "Canonicalization", targets: ["Canonicalization"]),
        .library(name: "ModelRuntime", targets: ["ModelRuntime"]),
        .library(name: "Reports", targets: ["Reports"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "PipelineEngine", targets: ["PipelineEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // System libraries, found through pkg-config (Debian: libpng-dev, libjpeg-dev,
        // libtiff-dev, libopenblas-dev).
        .systemLibrary(name: "CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg",
                       providers: [.apt(["libjpeg-dev"])]),
        .systemLibrary(name: "CTIFF", pkgConfig: "libtiff-4",
                       providers: [.apt(["libtiff-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        // oneDNN (Debian: libdnnl-dev) ships no pkg-config file; its headers are under
        // oneapi/dnnl/ in the system include folder, and it threads through libgomp.
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),

        // Foundation-only foundations: atomic writes and input protection; strict JSON.
        .target(name: "SafeFiles"),
        .target(name: "StrictJSON"),

        // The one implementation of grid turns and flips, generic over the sample type, below
        // both ImageCodecs (scan orientation) and Equivariance (group actions on planes).
        .target(name: "PixelGrid"),

        // The only C code of the product: setjmp wrappers and libtiff error capture.
        .target(name: "CCodecShims", dependencies: ["CPNG", "CJPEG", "CTIFF"]),

        .target(name: "ImageCodecs",
                dependencies: ["CCodecShims", "SafeFiles", "PixelGrid",
                               .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "TensorCore", dependencies: ["CBLAS", "CDNNL"]),
        .target(name: "NeuralNet", dependencies: ["TensorCore", "SafeFiles"]),
        .target(name: "Equivariance",
                dependencies: ["NeuralNet", "TensorCore", "PixelGrid"]),
        .target(name: "Canonicalization",
                dependencies: ["Equivariance", "NeuralNet", "TensorCore"]),
        .target(name: "ModelRuntime",
                dependencies: ["Canonicalization", "Equivariance", "NeuralNet", "TensorCore",
                               "ImageCodecs", "SafeFiles", "StrictJSON"]),
        // Case results in; CSV, JSON, self-contained HTML and SVG charts out (Foundation only).
        .target(name: "Reports", dependencies: ["StrictJSON", "SafeFiles"]),
        .target(name: "Training",
                dependencies: ["ModelRuntime", "Reports", "StrictJSON", "Canonicalization",
                               "Equivariance", "NeuralNet", "TensorCore", "ImageCodecs",
                               "SafeFiles"]),
        // The resume ledger is SQLite through GRDB (Debian: libsqlite3-dev).
        .target(name: "PipelineEngine",
                dependencies: ["ModelRuntime", "Reports", "StrictJSON", "ImageCodecs",
                               "SafeFiles", "PixelGrid", "Equivariance", "Canonicalization",
                               "TensorCore", .product(name: "GRDB", package: "GRDB.swift")]),

        // Measurements for `equiscan bench`; nothing in the product depends on them.
        .target(name: "CBenchmarks", dependencies: ["CCodecShims", "CPNG", "CJPEG", "CTIFF"]),
        .target(name: "Benchmarks",
                dependencies: ["CBenchmarks", "CBLAS", "ImageCodecs", "TensorCore", "NeuralNet",
                               "Equivariance", "Canonicalization"]),

        .executableTarget(
            name: "EquiScanCLI",
            dependencies: ["PipelineEngine", "Reports", "Training", "ModelRuntime",
                           "Benchmarks", "ImageCodecs", "TensorCore", "NeuralNet", "Equivariance",
                           "Canonicalization", "SafeFiles", "StrictJSON",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Logging", package: "swift-log")]),

        .target(name: "_TestSupport",
                dependencies: ["Equivariance", "ImageCodecs", "TensorCore"]),

        .testTarget(name: "SafeFilesTests", dependencies: ["SafeFiles", "_TestSupport"]),
        .testTarget(name: "PixelGridTests", dependencies: ["PixelGrid", "_TestSupport"]),
        .testTarget(name: "StrictJSONTests", dependencies: ["StrictJSON"]),
        .testTarget(name: "ImageCodecsTests",
                    dependencies: ["ImageCodecs", "SafeFiles", "TensorCore", "_TestSupport"]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "_TestSupport"]),
        .testTarget(name: "NeuralNetTests",
                    dependencies: ["NeuralNet", "TensorCore", "_TestSupport"]),
        .testTarget(name: "EquivarianceTests",
                    dependencies: ["Equivariance", "NeuralNet", "TensorCore", "_TestSupport"]),
        .testTarget(name: "CanonicalizationTests",
                    dependencies: ["Canonicalization", "Equivariance", "NeuralNet",
                                   "TensorCore", "ImageCodecs", "_TestSupport"]),
        .testTarget(name: "ModelRuntimeTests",
                    dependencies: ["ModelRuntime", "Canonicalization", "StrictJSON",
                                   "_TestSupport"]),
        .testTarget(name: "ReportsTests",
                    dependencies: ["Reports", "StrictJSON", "_TestSupport"]),
        .testTarget(name: "TrainingTests",
                    dependencies: ["Training", "Reports", "ModelRuntime", "StrictJSON",
                                   "ImageCodecs", "Canonicalization", "Equivariance", "NeuralNet",
                                   "TensorCore", "_TestSupport"]),
        .testTarget(name: "PipelineEngineTests",
                    dependencies: ["PipelineEngine", "Reports", "StrictJSON", "ModelRuntime",
                                   "ImageCodecs", "SafeFiles", "_TestSupport"]),
        .testTarget(name: "EquiScanCLITests",
                    dependencies: ["EquiScanCLI", "_TestSupport", "Canonicalization", "Reports",
                                   "Equivariance", "ImageCodecs", "Benchmarks", "ModelRuntime",
                                   "PipelineEngine", "SafeFiles", "StrictJSON", "TensorCore"]),
    ],
    swiftLanguageModes: [.v6]
)
