/// 2-D convolution (cross-correlation, as in PyTorch's `conv2d`) with stride, zero padding and
/// bias, forward beside backward.
///
/// Layouts: input (N, Cin, H, W), weight (Cout, Cin, kH, kW), bias (Cout), output
/// (N, Cout, Ho, Wo) with Ho = ⌊(H + 2p − kH) / s⌋ + 1 and Wo likewise.
///
///     y[n, o, i, j] = b[o] + Σ_{c, u, v} w[o, c, u, v] · x[n, c, s·i − p + u, s·j − p + v]
///
/// (x is zero outside the image). Backward, with g = ∂L/∂y:
///
///     ∂L/∂w[o, c, u, v] = Σ_{n, i, j} g[n, o, i, j] · x[n, c, s·i − p + u, s·j − p + v]
///     ∂L/∂b[o]          = Σ_{n, i, j} g[n, o, i, j]
///     ∂L/∂x[n, c, y, x] = Σ w[o, c, u, v] · g[n, o, i, j]
///                          over o, u, v, i, j with s·i − p + u = y and s·j − p + v = x
///
/// Two implementations share this interface:
/// - the **reference path** (`referenceForward` / `referenceBackward`): per image, im2col
///   (Chellapilla et al. 2006) to a (Cin·kH·kW, Ho·Wo) matrix and one `cblas_sgemm`; kept simple
///   and single-level so tests can compare the fast path against it;
/// - the **fast path** (`forward` / `backward`) chooses, per shape, the implementation that
///   measured fastest with `equiscan bench conv` (see `Conv2DKernels+Fast.swift`).
public enum Conv2DKernels {
    /// Sizes of one convolution, checked once.
    public struct Geometry: Equatable, Sendable {
        public let batch: Int, inChannels: Int, height: Int, width: Int
        public let outChannels: Int, kernelHeight: Int, kernelWidth: Int
        public let stride: Int, padding: Int
        public let outHeight: Int, outWidth: Int

        /// Rows of the im2col matrix: Cin·kH·kW.
        public var patchSize: Int { inChannels * kernelHeight * kernelWidth }
        /// Output positions per image: Ho·Wo.
        public var outPixels: Int { outHeight * outWidth }
        /// Input samples per image: Cin·H·W.
        public var inImageSize: Int { inChannels * height * width }
        /// Output samples per image: Cout·Ho·Wo.
        public var outImageSize: Int { outChannels * outPixels }
        /// Multiply-adds of the direct convolution, times two: 2·N·Cout·Cin·kH·kW·Ho·Wo.
        public var flops: Double {
            2 * Double(batch) * Double(outChannels) * Double(patchSize) * Double(outPixels)
        }

        /// Geometry of a convolution of `inputShape` by `weightShape`.
        public init(inputShape: [Int], weightShape: [Int], stride: Int, padding: Int) {
            precondition(inputShape.count == 4,
                         "Conv2D input must be (N, Cin, H, W), got \(inputShape)")
            precondition(weightShape.count == 4,
                         "Conv2D weight must be (Cout, Cin, kH, kW), got \(weightShape)")
            precondition(inputShape[1] == weightShape[1],
                         "Conv2D input has \(inputShape[1]) channels, "
                         + "weight expects \(weightShape[1])")
            precondition(stride >= 1, "Conv2D stride must be ≥ 1, got \(stride)")
            precondition(padding >= 0, "Conv2D padding must be ≥ 0, got \(padding)")
            batch = inputShape[0]
            inChannels = inputShape[1]
            height = inputShape[2]
            width = inputShape[3]
            outChannels = weightShape[0]
            kernelHeight = weightShape[2]
            kernelWidth = weightShape[3]
            self.stride = stride
            self.padding = padding
            precondition(height + 2 * padding >= kernelHeight && width + 2 * padding >= kernelWidth,
                         "Conv2D kernel \(kernelHeight)×\(kernelWidth) larger than padded input "
                         + "\(height)×\(width) + 2·\(padding)")
            outHeight = (height + 2 * padding - kernelHeight) / stride + 1
            outWidth = (width + 2 * padding - kernelWidth) / stride + 1
        }

        /// Output shape (N, Cout, Ho, Wo).
        public var outputShape: [Int] { [batch, outChannels, outHeight, outWidth] }
    }

    static func checkBias(_ bias: Tensor?, _ g: Geometry) {
        if let bias {
            precondition(bias.shape == [g.outChannels],
                         "Conv2D bias must be (\(g.outChannels)), got \(bias.shape)")
        }
    }

    // MARK: - Reference path

    /// Reference forward: per image, im2col then y_n (Cout, Ho·Wo) = W (Cout, K) · col (K, Ho·Wo).
    public static func referenceForward(input: Tensor, weight: Tensor, bias: Tensor?,
                                        stride: Int = 1, padding: Int = 0) -> Tensor {
        let g = Geometry(inputShape: input.shape, weightShape: weight.shape,
                         stride: stride, padding: padding)
        checkBias(bias, g)
        var output = [Float](repeating: 0, count: g.batch * g.outImageSize)  // (N, Cout, Ho, Wo)
        var column = [Float](repeating: 0, count: g.patchSize * g.outPixels)  // (K, Ho·Wo)
        input.storage.withUnsafeBufferPointer { x in          // (N, Cin, H, W)
        weight.storage.withUnsafeBufferPointer { w in         // (Cout, K)
        output.withUnsafeMutableBufferPointer { y in
        column.withUnsafeMutableBufferPointer { col in
            guard let xp = x.baseAddress, let wp = w.baseAddress, let yp = y.baseAddress,
                  let cp = col.baseAddress else { return }
            for n in 0..<g.batch {
                im2col(image: xp + n * g.inImageSize, geometry: g, column: cp)
                BLAS.sgemm(m: g.outChannels, n: g.outPixels, k: g.patchSize,
                           a: wp, lda: g.patchSize, b: cp, ldb: g.outPixels,
                           c: yp + n * g.outImageSize, ldc: g.outPixels)
            }
            if let bias { addBias(bias, to: yp, geometry: g) }
        }}}}
        return Tensor(shape: g.outputShape, storage: output)
    }

    /// Reference backward: per image, dW += g_n · colᵀ, dcol = Wᵀ · g_n, col2im(dcol) → dx_n.
    public static func referenceBackward(outputGradient: Tensor, input: Tensor, weight: Tensor,
                                         stride: Int = 1, padding: Int = 0,
                                         needsInputGradient: Bool = true)
        -> (input: Tensor?, weight: Tensor, bias: Tensor) {
        let g = Geometry(inputShape: input.shape, weightShape: weight.shape,
                         stride: stride, padding: padding)
        precondition(outputGradient.shape == g.outputShape,
                     "Conv2D outputGradient must be \(g.outputShape), got \(outputGradient.shape)")
        var inputGradient = [Float](repeating: 0,
                                    count: needsInputGradient ? input.count : 0)  // (N, Cin, H, W)
        var weightGradient = [Float](repeating: 0, count: weight.count)  // (Cout, K)
        var column = [Float](repeating: 0, count: g.patchSize * g.outPixels)  // (K, Ho·Wo)
        input.storage.withUnsafeBufferPointer { x in          // (N, Cin, H, W)
        weight.storage.withUnsafeBufferPointer { w in         // (Cout, K)
        outputGradient.storage.withUnsafeBufferPointer { dy in  // (N, Cout, Ho·Wo)
        inputGradient.withUnsafeMutableBufferPointer { dx in
        weightGradient.withUnsafeMutableBufferPointer { dw in
        column.withUnsafeMutableBufferPointer { col in
            guard let xp = x.baseAddress, let wp = w.baseAddress, let dyp = dy.baseAddress,
                  let dwp = dw.baseAddress, let cp = col.baseAddress else { return }
            for n in 0..<g.batch {
                let dyn = dyp + n * g.outImageSize
                im2col(image: xp + n * g.inImageSize, geometry: g, column: cp)
                BLAS.sgemm(transposeB: true, m: g.outChannels, n: g.patchSize, k: g.outPixels,
                           a: dyn, lda: g.outPixels, b: cp, ldb: g.outPixels,
                           beta: 1, c: dwp, ldc: g.patchSize)
                if needsInputGradient, let dxp = dx.baseAddress {
                    BLAS.sgemm(transposeA: true, m: g.patchSize, n: g.outPixels, k: g.outChannels,
                               a: wp, lda: g.patchSize, b: dyn, ldb: g.outPixels,
                               c: cp, ldc: g.outPixels)
                    col2im(column: cp, geometry: g, image: dxp + n * g.inImageSize)
                }
            }
        }}}}}}
        return (needsInputGradient ? Tensor(shape: input.shape, storage: inputGradient) : nil,
                Tensor(shape: weight.shape, storage: weightGradient),
                biasGradient(outputGradient, geometry: g))
    }

    // MARK: - Shared pieces

    /// Unfolds one image (Cin, H, W) into `column` (Cin·kH·kW, Ho·Wo): row (c, u, v), column
    /// (i, j) holds x[c, s·i − p + u, s·j − p + v], or 0 in the padding.
    @inline(__always)
    static func im2col(image: UnsafePointer<Float>, geometry g: Geometry,
                       column: UnsafeMutablePointer<Float>) {
        im2col(image: image, geometry: g, column: column, rowStride: g.outPixels)
    }

    /// im2col writing rows `rowStride` samples apart (rows of a wider, batched matrix).
    static func im2col(image: UnsafePointer<Float>, geometry g: Geometry,
                       column: UnsafeMutablePointer<Float>, rowStride: Int) {
        let s = g.stride, p = g.padding
        var row = 0
        for c in 0..<g.inChannels {
            let plane = image + c * g.height * g.width  // (H, W)
            for u in 0..<g.kernelHeight {
                for v in 0..<g.kernelWidth {
                    let out = column + row * rowStride  // (Ho·Wo)
                    // Output columns j with 0 ≤ s·j − p + v < W.
                    let jLow = min(g.outWidth, max(0, (p - v + s - 1) / s))
                    let jHigh = validEnd(g.width - 1 + p - v, stride: s, limit: g.outWidth,
                                         low: jLow)
                    for i in 0..<g.outHeight {
                        let dst = out + i * g.outWidth
                        let y = s * i - p + u
                        if y < 0 || y >= g.height {
                            dst.update(repeating: 0, count: g.outWidth)
                            continue
                        }
                        if jLow > 0 { dst.update(repeating: 0, count: jLow) }
                        let src = plane + y * g.width - p + v
                        if s == 1 {
                            (dst + jLow).update(from: src + jLow, count: jHigh - jLow)
                        } else {
                            for j in jLow..<jHigh { dst[j] = src[s * j] }
                        }
                        if jHigh < g.outWidth {
                            (dst + jHigh).update(repeating: 0, count: g.outWidth - jHigh)
                        }
                    }
                    row += 1
                }
            }
        }
    }

    /// Folds `column` (Cin·kH·kW, Ho·Wo) back, adding each entry into the image position it
    /// was copied from (the adjoint of `im2col`); `image` (Cin, H, W) is accumulated into.
    static func col2im(column: UnsafePointer<Float>, geometry g: Geometry,
                       image: UnsafeMutablePointer<Float>, rowStride: Int? = nil) {
        let stride = rowStride ?? g.outPixels
        let s = g.stride, p = g.padding
        var row = 0
        for c in 0..<g.inChannels {
            let plane = image + c * g.height * g.width  // (H, W)
            for u in 0..<g.kernelHeight {
                for v in 0..<g.kernelWidth {
                    let src = column + row * stride  // (Ho·Wo)
                    let jLow = min(g.outWidth, max(0, (p - v + s - 1) / s))
                    let jHigh = validEnd(g.width - 1 + p - v, stride: s, limit: g.outWidth,
                                         low: jLow)
                    for i in 0..<g.outHeight {
                        let y = s * i - p + u
                        if y < 0 || y >= g.height { continue }
                        let dst = plane + y * g.width - p + v
                        let rowSrc = src + i * g.outWidth
                        for j in jLow..<jHigh { dst[s * j] += rowSrc[j] }
                    }
                    row += 1
                }
            }
        }
    }

    /// One past the last output index j with s·j ≤ `last` (0 when `last` < 0), clamped to
    /// [low, limit].
    @inline(__always)
    static func validEnd(_ last: Int, stride s: Int, limit: Int, low: Int) -> Int {
        let end = last < 0 ? 0 : last / s + 1
        return min(limit, max(low, end))
    }

    /// Adds bias[o] to every output position of channel o; `output` is (N, Cout, Ho·Wo).
    static func addBias(_ bias: Tensor, to output: UnsafeMutablePointer<Float>,
                        geometry g: Geometry) {
        bias.storage.withUnsafeBufferPointer { b in
            for n in 0..<g.batch {
                for o in 0..<g.outChannels {
                    let plane = output + n * g.outImageSize + o * g.outPixels
                    let value = b[o]
                    for i in 0..<g.outPixels { plane[i] += value }
                }
            }
        }
    }

    /// ∂L/∂b[o] = Σ_{n, i, j} g[n, o, i, j], summed per image in index order.
    static func biasGradient(_ outputGradient: Tensor, geometry g: Geometry) -> Tensor {
        var result = [Float](repeating: 0, count: g.outChannels)  // (Cout)
        outputGradient.storage.withUnsafeBufferPointer { dy in  // (N, Cout, Ho·Wo)
            for n in 0..<g.batch {
                for o in 0..<g.outChannels {
                    let base = n * g.outImageSize + o * g.outPixels
                    var total: Float = 0
                    for i in 0..<g.outPixels { total += dy[base + i] }
                    result[o] += total
                }
            }
        }
        return Tensor(shape: [g.outChannels], storage: result)
    }
}
