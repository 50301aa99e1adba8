import CDNNL

/// A failed oneDNN call: which C function failed and oneDNN's own name for the status.
public struct OneDNNError: Error, CustomStringConvertible, Sendable {
    /// The oneDNN function that failed, e.g. "dnnl_primitive_desc_create".
    public let function: String
    /// oneDNN's status, e.g. "unimplemented".
    public let status: String

    public var description: String { "oneDNN \(function) failed: \(status)" }
}

/// The process's oneDNN CPU engine and the one wrapper every oneDNN call goes through.
///
/// oneDNN (Debian's `libdnnl`, 2.6) picks its kernels by the CPU it finds at run time (JIT
/// AVX-512, AVX2, SSE4.1, or its reference code), never by how EquiScan was compiled, so the
/// same binary runs on machines with and without AVX-512. It would thread through OpenMP;
/// every call instead runs on the calling thread (`omp_set_num_threads(1)` in each chunk of
/// `OneDNNConvolution`), and `ThreadPolicy.parallel` splits the work over `workerCount`.
final class OneDNN: @unchecked Sendable {
    // @unchecked: `engine` is an opaque handle set once here and only passed to oneDNN calls
    // that may run on several threads at once (creating primitives and memory objects).
    let engine: dnnl_engine_t

    /// The engine, or the reason oneDNN cannot be used in this process.
    static let shared = Result { () throws(OneDNNError) -> OneDNN in try OneDNN() }

    private init() throws(OneDNNError) {
        var engine: dnnl_engine_t?
        try OneDNN.check(dnnl_engine_create(&engine, dnnl_cpu, 0), "dnnl_engine_create")
        guard let engine else {
            throw OneDNNError(function: "dnnl_engine_create", status: "no engine returned")
        }
        self.engine = engine
    }

    /// "major.minor.patch" of the oneDNN library loaded.
    static var version: String {
        guard let v = dnnl_version()?.pointee else { return "unknown" }
        return "\(v.major).\(v.minor).\(v.patch)"
    }

    /// Throws unless `status` is success, naming `function` and oneDNN's status.
    static func check(_ status: dnnl_status_t, _ function: String) throws(OneDNNError) {
        guard status != dnnl_success else { return }
        let name = dnnl_status2str(status).map { String(cString: $0) } ?? "\(status.rawValue)"
        throw OneDNNError(function: function, status: name)
    }
}
