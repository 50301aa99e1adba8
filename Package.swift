// swift-tools-version:6.0
import PackageDescription

/// Release builds of the numerical modules drop bounds checks inside their hot loops only through
/// explicit unsafe pointers; everything else keeps Swift's default checking.
let package = Package(
    name: "EquiScan",
    // macOS 15 for `Mutex` and `Atomic` (Synchronization), which guard shared state.
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "equiscan", targets: ["EquiScanCLI"]),
        .library(name: "ImageCodecs", targets: ["ImageCodecs"]),
        .library(name: "TensorCore", targets: ["TensorCore"]),
        .library(name: "NeuralNet", targets: ["NeuralNet"]),
        .library(name: "Equivariance", targets: ["Equivariance"]),
        .library(name: "Canonicalization", targets: ["Canonicalization"]),
        .library(name: "PipelineEngine", targets: ["PipelineEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
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

        // The only C code of the project: setjmp wrappers and libtiff error capture.
        .target(name: "CCodecShims", dependencies: ["CPNG", "CJPEG", "CTIFF"],
                cSettings: [.unsafeFlags(["-O2"])]),

        .target(name: "ImageCodecs", dependencies: ["CCodecShims"],
                swiftSettings: swiftSettings),
        .target(name: "TensorCore", dependencies: ["CBLAS"],
                swiftSettings: swiftSettings),
        .target(name: "NeuralNet", dependencies: ["TensorCore"],
                swiftSettings: swiftSettings),
        .target(name: "Equivariance", dependencies: ["NeuralNet", "TensorCore"],
                swiftSettings: swiftSettings),
        .target(name: "Canonicalization",
                dependencies: ["Equivariance", "NeuralNet", "TensorCore"],
                swiftSettings: swiftSettings),
        .target(name: "PipelineEngine",
                dependencies: ["Canonicalization", "Equivariance", "NeuralNet", "TensorCore",
                               "ImageCodecs", .product(name: "Logging", package: "swift-log")],
                swiftSettings: swiftSettings),
        .executableTarget(
            name: "EquiScanCLI",
            dependencies: ["PipelineEngine", "ImageCodecs", "TensorCore", "NeuralNet",
                           "Equivariance", "Canonicalization",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),

        .target(name: "_TestSupport", dependencies: ["TensorCore"],
                swiftSettings: swiftSettings),

        .testTarget(name: "ImageCodecsTests", dependencies: ["ImageCodecs", "_TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "_TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "NeuralNetTests",
                    dependencies: ["NeuralNet", "TensorCore", "_TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "EquivarianceTests",
                    dependencies: ["Equivariance", "NeuralNet", "TensorCore", "_TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "CanonicalizationTests",
                    dependencies: ["Canonicalization", "Equivariance", "NeuralNet",
                                   "TensorCore", "ImageCodecs", "_TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "PipelineEngineTests",
                    dependencies: ["PipelineEngine", "ImageCodecs", "Canonicalization",
                                   "Equivariance", "NeuralNet", "TensorCore", "_TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "EquiScanCLITests",
                    dependencies: ["EquiScanCLI", "_TestSupport", "Canonicalization",
                                   "Equivariance", "ImageCodecs"],
                    swiftSettings: swiftSettings),
    ],
    swiftLanguageModes: [.v5]
)

/// Numerical and codec modules are optimised in debug builds too: tests run their kernels at
/// realistic speed while keeping debug symbols and testability.
var swiftSettings: [SwiftSetting] {
    [.unsafeFlags(["-O", "-enable-testing"], .when(configuration: .debug))]
}
