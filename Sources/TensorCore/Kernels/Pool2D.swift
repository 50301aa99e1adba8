/// Spatial pooling over the last two axes, forward beside backward.
///
/// Inputs are (…, H, W) with any number (≥ 1) of leading axes: (N, C, H, W) images and
/// (N, C, G, H, W) group feature maps alike; every (H, W) plane is pooled independently.
/// Windows are k×k with stride s and no padding: Ho = ⌊(H − k) / s⌋ + 1 (PyTorch's default
/// `ceil_mode=False`).
///
/// - max:     y = max over the window; ∂L/∂x routes g to the (first) arg-max position;
/// - average: y = (1/k²) Σ window; ∂L/∂x[p] = Σ over windows containing p of g / k²;
/// - global average: y = mean over the plane, (…, H, W) → (…); ∂L/∂x = g / (H·W);
/// - global max: y = max over the plane; the gradient goes to the first arg-max.
public enum Pool2D {
    /// (planes, H, W, Ho, Wo) of a pooling call.
    struct Planes {
        let count: Int, height: Int, width: Int, outHeight: Int, outWidth: Int
        let leading: [Int]

        init(_ shape: [Int], kernel: Int, stride: Int) {
            precondition(shape.count >= 3, "Pool2D input must be (…, H, W) with a batch axis, "
                         + "got \(shape)")
            precondition(kernel >= 1 && stride >= 1,
                         "Pool2D kernel \(kernel) and stride \(stride) must be ≥ 1")
            leading = Array(shape.dropLast(2))
            count = leading.reduce(1, *)
            height = shape[shape.count - 2]
            width = shape[shape.count - 1]
            precondition(height >= kernel && width >= kernel,
                         "Pool2D kernel \(kernel) exceeds plane \(height)×\(width)")
            outHeight = (height - kernel) / stride + 1
            outWidth = (width - kernel) / stride + 1
        }
    }

    /// Max pooling. Returns the output (…, Ho, Wo) and, per output sample, the flat index
    /// (y·W + x) within its input plane of the maximum (first one on ties; NaN propagates).
    /// Planes are split across `ThreadPolicy.workerCount` workers (disjoint outputs).
    public static func maxForward(input: Tensor, kernel: Int, stride: Int? = nil)
        -> (output: Tensor, argmax: [Int32]) {
        let s = stride ?? kernel
        let p = Planes(input.shape, kernel: kernel, stride: s)
        let outPlane = p.outHeight * p.outWidth
        let inPlane = p.height * p.width
        var output = [Float](repeating: 0, count: p.count * outPlane)  // (…, Ho, Wo)
        var argmax = [Int32](repeating: 0, count: p.count * outPlane)  // (…, Ho, Wo)
        input.storage.withUnsafeBufferPointer { xb in  // (…, H, W)
        output.withUnsafeMutableBufferPointer { yb in
        argmax.withUnsafeMutableBufferPointer { ab in
            guard let x = xb.baseAddress, let y = yb.baseAddress, let a = ab.baseAddress else {
                return
            }
            // Each chunk writes only the output and arg-max planes of its own range.
            let (xs, ys, indices) = (RegionPointer(x), RegionPointer(y), RegionPointer(a))
            ThreadPolicy.parallel(count: p.count, minimumPerChunk: 16_384 / max(inPlane, 1)) {
                _, planes in
                let (x, y, a) = (xs.pointer, ys.pointer, indices.pointer)
                for plane in planes {
                    let source = x + plane * inPlane
                    let out = y + plane * outPlane, index = a + plane * outPlane
                    if kernel == 2 && s == 2 {
                        maxPool2x2(source, width: p.width, outHeight: p.outHeight,
                                   outWidth: p.outWidth, output: out, argmax: index)
                        continue
                    }
                    for i in 0..<p.outHeight {
                        for j in 0..<p.outWidth {
                            let corner = (i * s) * p.width + j * s
                            var best = source[corner]
                            var bestIndex = corner
                            for u in 0..<kernel {
                                let row = corner + u * p.width
                                for v in 0..<kernel {
                                    let value = source[row + v]
                                    if value > best || (value.isNaN && !best.isNaN) {
                                        best = value
                                        bestIndex = row + v
                                    }
                                }
                            }
                            out[i * p.outWidth + j] = best
                            index[i * p.outWidth + j] = Int32(truncatingIfNeeded: bestIndex)
                        }
                    }
                }
            }
        }}}
        return (Tensor(shape: p.leading + [p.outHeight, p.outWidth], storage: output), argmax)
    }

    /// The common 2×2, stride-2 window of `maxForward` for one plane, unrolled (same tie and
    /// NaN rules: first maximum in row-major window order wins, NaN propagates).
    @inline(__always)
    static func maxPool2x2(_ source: UnsafePointer<Float>, width: Int, outHeight: Int,
                           outWidth: Int, output: UnsafeMutablePointer<Float>,
                           argmax: UnsafeMutablePointer<Int32>) {
        for i in 0..<outHeight {
            let top = 2 * i * width
            for j in 0..<outWidth {
                let corner = top + 2 * j
                var best = source[corner]
                var bestIndex = corner
                @inline(__always) func consider(_ candidate: Int) {
                    let value = source[candidate]
                    if value > best || (value.isNaN && !best.isNaN) {
                        best = value
                        bestIndex = candidate
                    }
                }
                consider(corner + 1)
                consider(corner + width)
                consider(corner + width + 1)
                output[i * outWidth + j] = best
                argmax[i * outWidth + j] = Int32(truncatingIfNeeded: bestIndex)
            }
        }
    }

    /// Max pooling backward: ∂L/∂x (inputShape) with each g added at its arg-max.
    public static func maxBackward(outputGradient: Tensor, argmax: [Int32],
                                   inputShape: [Int]) -> Tensor {
        precondition(argmax.count == outputGradient.count,
                     "Pool2D argmax has \(argmax.count) entries, gradient \(outputGradient.count)")
        let planes = inputShape.dropLast(2).reduce(1, *)
        let planeSize = inputShape.suffix(2).reduce(1, *)
        let outPlane = outputGradient.count / max(planes, 1)
        var result = [Float](repeating: 0, count: planes * planeSize)  // inputShape
        outputGradient.storage.withUnsafeBufferPointer { g in
        argmax.withUnsafeBufferPointer { a in
        result.withUnsafeMutableBufferPointer { r in
            for plane in 0..<planes {
                for k in 0..<outPlane {
                    r[plane * planeSize + Int(a[plane * outPlane + k])] += g[plane * outPlane + k]
                }
            }
        }}}
        return Tensor(shape: inputShape, storage: result)
    }

    /// Average pooling (k×k windows, stride defaults to k).
    public static func averageForward(input: Tensor, kernel: Int, stride: Int? = nil) -> Tensor {
        let s = stride ?? kernel
        let p = Planes(input.shape, kernel: kernel, stride: s)
        let outPlane = p.outHeight * p.outWidth
        let scale = 1 / Float(kernel * kernel)
        var output = [Float](repeating: 0, count: p.count * outPlane)  // (…, Ho, Wo)
        input.storage.withUnsafeBufferPointer { x in  // (…, H, W)
            for plane in 0..<p.count {
                let base = plane * p.height * p.width
                for i in 0..<p.outHeight {
                    for j in 0..<p.outWidth {
                        var total: Float = 0
                        for u in 0..<kernel {
                            for v in 0..<kernel {
                                total += x[base + (i * s + u) * p.width + j * s + v]
                            }
                        }
                        output[plane * outPlane + i * p.outWidth + j] = total * scale
                    }
                }
            }
        }
        return Tensor(shape: p.leading + [p.outHeight, p.outWidth], storage: output)
    }

    /// Average pooling backward: each g / k² added to every input of its window.
    public static func averageBackward(outputGradient: Tensor, inputShape: [Int], kernel: Int,
                                       stride: Int? = nil) -> Tensor {
        let s = stride ?? kernel
        let p = Planes(inputShape, kernel: kernel, stride: s)
        precondition(outputGradient.shape == p.leading + [p.outHeight, p.outWidth],
                     "Pool2D outputGradient must be \(p.leading + [p.outHeight, p.outWidth]), "
                     + "got \(outputGradient.shape)")
        let outPlane = p.outHeight * p.outWidth
        let scale = 1 / Float(kernel * kernel)
        var result = [Float](repeating: 0, count: p.count * p.height * p.width)  // inputShape
        outputGradient.storage.withUnsafeBufferPointer { g in  // (…, Ho, Wo)
            for plane in 0..<p.count {
                let base = plane * p.height * p.width
                for i in 0..<p.outHeight {
                    for j in 0..<p.outWidth {
                        let share = g[plane * outPlane + i * p.outWidth + j] * scale
                        for u in 0..<kernel {
                            for v in 0..<kernel {
                                result[base + (i * s + u) * p.width + j * s + v] += share
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: inputShape, storage: result)
    }

    /// Global average pooling: (…, H, W) → (…), the mean of each plane.
    public static func globalAverageForward(input: Tensor) -> Tensor {
        precondition(input.rank >= 3, "global pooling needs (…, H, W), got \(input.shape)")
        let planeSize = input.shape.suffix(2).reduce(1, *)
        let planes = input.count / max(planeSize, 1)
        var output = [Float](repeating: 0, count: planes)  // (…)
        input.storage.withUnsafeBufferPointer { x in
            for plane in 0..<planes {
                var total: Float = 0
                for k in 0..<planeSize { total += x[plane * planeSize + k] }
                output[plane] = total / Float(planeSize)
            }
        }
        return Tensor(shape: Array(input.shape.dropLast(2)), storage: output)
    }

    /// Global average pooling backward: g / (H·W) spread over each plane.
    public static func globalAverageBackward(outputGradient: Tensor, inputShape: [Int]) -> Tensor {
        precondition(outputGradient.shape == Array(inputShape.dropLast(2)),
                     "global pooling gradient must be \(Array(inputShape.dropLast(2))), "
                     + "got \(outputGradient.shape)")
        let planeSize = inputShape.suffix(2).reduce(1, *)
        var result = [Float](repeating: 0, count: inputShape.reduce(1, *))  // inputShape
        for plane in 0..<outputGradient.count {
            let share = outputGradient.storage[plane] / Float(planeSize)
            for k in 0..<planeSize { result[plane * planeSize + k] = share }
        }
        return Tensor(shape: inputShape, storage: result)
    }

    /// Global max pooling: (…, H, W) → (…), with the flat in-plane index of each maximum.
    public static func globalMaxForward(input: Tensor) -> (output: Tensor, argmax: [Int32]) {
        precondition(input.rank >= 3, "global pooling needs (…, H, W), got \(input.shape)")
        let planeSize = input.shape.suffix(2).reduce(1, *)
        precondition(planeSize > 0, "global max pooling of empty planes \(input.shape)")
        let planes = input.count / planeSize
        var output = [Float](repeating: 0, count: planes)  // (…)
        var argmax = [Int32](repeating: 0, count: planes)  // (…)
        input.storage.withUnsafeBufferPointer { x in
            for plane in 0..<planes {
                var best = -Float.infinity
                var bestIndex = 0
                for k in 0..<planeSize where x[plane * planeSize + k] > best {
                    best = x[plane * planeSize + k]
                    bestIndex = k
                }
                output[plane] = best
                argmax[plane] = Int32(bestIndex)
            }
        }
        return (Tensor(shape: Array(input.shape.dropLast(2)), storage: output), argmax)
    }

    /// Global max pooling backward: g placed at each plane's arg-max.
    public static func globalMaxBackward(outputGradient: Tensor, argmax: [Int32],
                                         inputShape: [Int]) -> Tensor {
        precondition(outputGradient.shape == Array(inputShape.dropLast(2))
                     && argmax.count == outputGradient.count,
                     "global max gradient must be \(Array(inputShape.dropLast(2))) with one "
                     + "arg-max each, got \(outputGradient.shape), \(argmax.count)")
        let planeSize = inputShape.suffix(2).reduce(1, *)
        var result = [Float](repeating: 0, count: inputShape.reduce(1, *))  // inputShape
        for plane in 0..<outputGradient.count {
            result[plane * planeSize + Int(argmax[plane])] = outputGradient.storage[plane]
        }
        return Tensor(shape: inputShape, storage: result)
    }
}
