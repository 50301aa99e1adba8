import CBLAS
import CDNNL
import Foundation

/// What, besides the inputs and the seed, decides the bits a computation gives on this
/// machine: the thread count (reductions are split per thread), the BLAS kernels and the
/// convolution engine. A model package records it so that a rebuild that does not reproduce
/// the weights can say why.
public struct ComputeEnvironment: Codable, Sendable, Equatable {
    /// Compute threads (`ThreadPolicy.workerCount`).
    public var threads: Int
    /// OpenBLAS's build, as `openblas_get_config()` reports it (version, DYNAMIC_ARCH, …).
    public var blasLibrary: String
    /// The kernel set OpenBLAS runs on this CPU (`openblas_get_corename()`, e.g. "Haswell"),
    /// whether it picked it or `OPENBLAS_CORETYPE` did.
    public var blasCoreType: String
    /// `OPENBLAS_CORETYPE` as the environment set it (read, never set); nil when unset.
    public var blasCoreTypeVariable: String?
    /// The inference convolution engine (`ConvolutionEngine.selectedDescription`), which
    /// computes validation predictions during training and every prediction afterwards.
    public var convolutionEngine: String
    /// oneDNN's CPU instruction set (`dnnl_get_effective_cpu_isa`, as oneDNN names it, e.g.
    /// "cpu_isa_avx2") when oneDNN is the engine; nil otherwise.
    public var oneDNNISA: String?

    public init(threads: Int, blasLibrary: String, blasCoreType: String,
                blasCoreTypeVariable: String?, convolutionEngine: String, oneDNNISA: String?) {
        self.threads = threads
        self.blasLibrary = blasLibrary
        self.blasCoreType = blasCoreType
        self.blasCoreTypeVariable = blasCoreTypeVariable
        self.convolutionEngine = convolutionEngine
        self.oneDNNISA = oneDNNISA
    }

    /// The environment variable OpenBLAS reads to force a kernel set.
    public static let blasCoreTypeVariableName = "OPENBLAS_CORETYPE"

    /// This process's environment now.
    public static func current() -> ComputeEnvironment {
        let variable = ProcessInfo.processInfo.environment[blasCoreTypeVariableName]
        let onednn = ConvolutionEngine.selected == .onednn
        return ComputeEnvironment(
            threads: ThreadPolicy.workerCount,
            blasLibrary: String(cString: openblas_get_config())
                .trimmingCharacters(in: .whitespaces),
            blasCoreType: String(cString: openblas_get_corename()),
            blasCoreTypeVariable: variable.flatMap { $0.isEmpty ? nil : $0 },
            convolutionEngine: ConvolutionEngine.selectedDescription,
            oneDNNISA: onednn ? String(cString: dnnl_cpu_isa2str(dnnl_get_effective_cpu_isa()))
                : nil)
    }
}
