import CBLAS

/// Thin Swift wrapper over `cblas_sgemm` (row-major) so no C enum leaks past this file.
///
/// C ← α · op(A) · op(B) + β · C, with op(A) of shape (m, k), op(B) of shape (k, n), C (m, n);
/// `lda`, `ldb`, `ldc` are row strides in samples of the matrices as stored.
@usableFromInline
enum BLAS {
    @inline(__always)
    static func sgemm(transposeA: Bool = false, transposeB: Bool = false,
                      m: Int, n: Int, k: Int, alpha: Float = 1,
                      a: UnsafePointer<Float>, lda: Int,
                      b: UnsafePointer<Float>, ldb: Int,
                      beta: Float = 0,
                      c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            // BLAS leaves C untouched only when beta == 1; honour beta for an empty sum.
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } }
            return
        }
        ThreadPolicy.prepareBLAS()
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

/// Matrix products on tensors, for layers and benchmarks.
extension Tensor {
    /// The matrix product of `lhs` (m, k) and `rhs` (k, n), optionally transposing either
    /// operand first (then `lhs` is stored (k, m) / `rhs` is stored (n, k)).
    public static func matmul(_ lhs: Tensor, _ rhs: Tensor,
                              transposeLeft: Bool = false, transposeRight: Bool = false) -> Tensor {
        precondition(lhs.rank == 2 && rhs.rank == 2,
                     "matmul needs rank-2 tensors, got \(lhs.shape) and \(rhs.shape)")
        let m = transposeLeft ? lhs.shape[1] : lhs.shape[0]
        let k = transposeLeft ? lhs.shape[0] : lhs.shape[1]
        let k2 = transposeRight ? rhs.shape[1] : rhs.shape[0]
        let n = transposeRight ? rhs.shape[0] : rhs.shape[1]
        precondition(k == k2, "matmul: inner extents \(k) and \(k2) differ "
                     + "(\(lhs.shape) × \(rhs.shape), "
                     + "transposes \(transposeLeft), \(transposeRight))")
        var out = [Float](repeating: 0, count: m * n)  // (m, n)
        lhs.storage.withUnsafeBufferPointer { a in
            rhs.storage.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { c in
                    guard let ap = a.baseAddress, let bp = b.baseAddress,
                          let cp = c.baseAddress else { return }
                    BLAS.sgemm(transposeA: transposeLeft, transposeB: transposeRight,
                               m: m, n: n, k: k, a: ap, lda: lhs.shape[1],
                               b: bp, ldb: rhs.shape[1], c: cp, ldc: n)
                }
            }
        }
        return Tensor(shape: [m, n], storage: out)
    }
}
