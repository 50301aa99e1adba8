import Foundation
import Synchronization

/// Which implementation computes the convolutions of inference (evaluation mode, no gradient
/// recording). Training and every backward pass always use `Conv2DKernels`.
///
/// Chosen at run time, never at compile time: `EQUISCAN_CONV_ENGINE` (`reference` or `onednn`)
/// when set, otherwise oneDNN whenever its CPU engine starts in this process. Asking for oneDNN
/// where it cannot start gives the reference engine.
public enum ConvolutionEngine: String, CaseIterable, Sendable {
    /// EquiScan's own kernels (`Conv2DKernels.forward`: im2col or Winograd over OpenBLAS);
    /// the path every other engine is tested against.
    case reference
    /// oneDNN's forward convolution (`OneDNNConvolution`), bias and ReLU fused.
    case onednn

    /// The environment variable that picks the engine.
    public static let environmentVariable = "EQUISCAN_CONV_ENGINE"

    private static let choice = Mutex<ConvolutionEngine?>(nil)

    /// The engine inference uses now. Set it to switch engines (tests do, to cover both);
    /// setting `.onednn` where oneDNN cannot start keeps `.reference`. Layers notice the change
    /// at their next call.
    public static var selected: ConvolutionEngine {
        get {
            choice.withLock { choice in
                if let choice { return choice }
                let resolved = available(fromEnvironment())
                choice = resolved
                return resolved
            }
        }
        set { choice.withLock { $0 = available(newValue) } }
    }

    /// Whether oneDNN's CPU engine starts in this process.
    public static var isOneDNNAvailable: Bool {
        (try? OneDNN.shared.get()) != nil
    }

    /// How `selected` reads for reports, e.g. "onednn 2.6.3" or "reference".
    public static var selectedDescription: String {
        switch selected {
        case .reference: return "reference"
        case .onednn: return "onednn \(OneDNN.version)"
        }
    }

    /// The engine named by `EQUISCAN_CONV_ENGINE`, `.onednn` when unset or empty.
    static func fromEnvironment() -> ConvolutionEngine {
        guard let value = ProcessInfo.processInfo.environment[environmentVariable],
              !value.isEmpty else { return .onednn }
        guard let engine = ConvolutionEngine(rawValue: value.lowercased()) else {
            preconditionFailure("\(environmentVariable)=\(value): expected one of "
                                + allCases.map(\.rawValue).joined(separator: ", "))
        }
        return engine
    }

    /// `engine`, or `.reference` when it is oneDNN and oneDNN cannot start.
    private static func available(_ engine: ConvolutionEngine) -> ConvolutionEngine {
        engine == .onednn && !isOneDNNAvailable ? .reference : engine
    }
}
