/// Spatial upsampling of the last two axes by an integer factor, forward beside backward.
///
/// Inputs are (…, H, W) (images or group feature maps); outputs (…, f·H, f·W).
///
/// - nearest: y[i, j] = x[⌊i/f⌋, ⌊j/f⌋]; ∂L/∂x[a, b] = Σ of g over its f×f block;
/// - bilinear with `align_corners=False` (PyTorch's default): the source coordinate of output
///   index i is max(0, (i + ½)/f − ½), split into i₀ = ⌊·⌋, i₁ = min(i₀ + 1, H − 1) and weight
///   λ = source − i₀; y = Σ of the four neighbours weighted (1−λ)/λ per axis. The backward pass
///   scatters g with the same four weights (the adjoint of that linear map).
public enum UpsampleKernels {
    static func planes(_ shape: [Int], factor: Int) -> (count: Int, height: Int, width: Int) {
        precondition(shape.count >= 3, "Upsample input must be (…, H, W), got \(shape)")
        precondition(factor >= 1, "Upsample factor must be ≥ 1, got \(factor)")
        return (shape.dropLast(2).reduce(1, *), shape[shape.count - 2], shape[shape.count - 1])
    }

    static func scaledShape(_ shape: [Int], factor: Int) -> [Int] {
        Array(shape.dropLast(2))
            + [shape[shape.count - 2] * factor, shape[shape.count - 1] * factor]
    }

    /// Nearest-neighbour upsampling by `factor`: planes split over `ThreadPolicy` workers;
    /// each input row is widened once into its first output row, which is then copied into
    /// the `factor − 1` rows below it.
    public static func nearestForward(input: Tensor, factor: Int) -> Tensor {
        let (count, h, w) = planes(input.shape, factor: factor)
        let oh = h * factor, ow = w * factor
        let total = count * oh * ow
        let output = [Float](unsafeUninitializedCapacity: total) { buffer, initialized in
            input.storage.withUnsafeBufferPointer { xb in  // (…, H, W)
                guard let x = xb.baseAddress, let y = buffer.baseAddress else { return }
                // Each chunk writes only the output planes of its own range.
                let (xs, ys) = (RegionPointer(x), RegionPointer(y))
                ThreadPolicy.parallel(count: count, minimumPerChunk: 16_384 / max(oh * ow, 1)) {
                    _, range in
                    for plane in range {
                        widen(xs.pointer + plane * h * w, height: h, width: w, factor: factor,
                              into: ys.pointer + plane * oh * ow)
                    }
                }
            }
            initialized = total
        }
        return Tensor(shape: scaledShape(input.shape, factor: factor), storage: output)
    }

    /// One plane of `nearestForward`: `source` (h, w) into `target` (f·h, f·w).
    private static func widen(_ source: UnsafePointer<Float>, height h: Int, width w: Int,
                              factor f: Int, into target: UnsafeMutablePointer<Float>) {
        let ow = w * f
        for i in 0..<h {
            let row = source + i * w
            let first = target + i * f * ow
            if f == 2 {
                for j in 0..<w {
                    first[2 * j] = row[j]
                    first[2 * j + 1] = row[j]
                }
            } else {
                for j in 0..<w {
                    (first + j * f).update(repeating: row[j], count: f)
                }
            }
            for copy in 1..<max(f, 1) {
                (first + copy * ow).update(from: first, count: ow)
            }
        }
    }

    /// Nearest upsampling backward: sums g over each f×f block. outputGradient (…, f·H, f·W).
    public static func nearestBackward(outputGradient: Tensor, factor: Int) -> Tensor {
        let (count, oh, ow) = planes(outputGradient.shape, factor: factor)
        precondition(oh % factor == 0 && ow % factor == 0,
                     "Upsample gradient \(outputGradient.shape) not divisible by factor \(factor)")
        let h = oh / factor, w = ow / factor
        var result = [Float](repeating: 0, count: count * h * w)  // (…, H, W)
        outputGradient.storage.withUnsafeBufferPointer { g in
            for plane in 0..<count {
                for i in 0..<oh {
                    for j in 0..<ow {
                        result[(plane * h + i / factor) * w + j / factor] +=
                            g[(plane * oh + i) * ow + j]
                    }
                }
            }
        }
        var shape = outputGradient.shape
        shape[shape.count - 2] = h
        shape[shape.count - 1] = w
        return Tensor(shape: shape, storage: result)
    }

    /// Source indices and weight for output index `i` (align_corners=False).
    @inline(__always)
    static func source(_ i: Int, factor: Int, extent: Int) -> (Int, Int, Float) {
        let position = max(0, (Float(i) + 0.5) / Float(factor) - 0.5)
        let i0 = min(Int(position), extent - 1)
        let i1 = min(i0 + 1, extent - 1)
        return (i0, i1, position - Float(i0))
    }

    /// Bilinear upsampling by `factor` (align_corners=False, as PyTorch).
    public static func bilinearForward(input: Tensor, factor: Int) -> Tensor {
        let (count, h, w) = planes(input.shape, factor: factor)
        let oh = h * factor, ow = w * factor
        let rows = (0..<oh).map { source($0, factor: factor, extent: h) }
        let cols = (0..<ow).map { source($0, factor: factor, extent: w) }
        var output = [Float](repeating: 0, count: count * oh * ow)  // (…, f·H, f·W)
        input.storage.withUnsafeBufferPointer { x in  // (…, H, W)
            for plane in 0..<count {
                let base = plane * h * w
                for i in 0..<oh {
                    let (y0, y1, ly) = rows[i]
                    for j in 0..<ow {
                        let (x0, x1, lx) = cols[j]
                        let top = (1 - lx) * x[base + y0 * w + x0] + lx * x[base + y0 * w + x1]
                        let bottom = (1 - lx) * x[base + y1 * w + x0] + lx * x[base + y1 * w + x1]
                        output[(plane * oh + i) * ow + j] = (1 - ly) * top + ly * bottom
                    }
                }
            }
        }
        return Tensor(shape: scaledShape(input.shape, factor: factor), storage: output)
    }

    /// Bilinear upsampling backward: scatters g with the forward interpolation weights.
    public static func bilinearBackward(outputGradient: Tensor, factor: Int) -> Tensor {
        let (count, oh, ow) = planes(outputGradient.shape, factor: factor)
        precondition(oh % factor == 0 && ow % factor == 0,
                     "Upsample gradient \(outputGradient.shape) not divisible by factor \(factor)")
        let h = oh / factor, w = ow / factor
        let rows = (0..<oh).map { source($0, factor: factor, extent: h) }
        let cols = (0..<ow).map { source($0, factor: factor, extent: w) }
        var result = [Float](repeating: 0, count: count * h * w)  // (…, H, W)
        outputGradient.storage.withUnsafeBufferPointer { g in  // (…, f·H, f·W)
            for plane in 0..<count {
                let base = plane * h * w
                for i in 0..<oh {
                    let (y0, y1, ly) = rows[i]
                    for j in 0..<ow {
                        let (x0, x1, lx) = cols[j]
                        let value = g[(plane * oh + i) * ow + j]
                        result[base + y0 * w + x0] += (1 - ly) * (1 - lx) * value
                        result[base + y0 * w + x1] += (1 - ly) * lx * value
                        result[base + y1 * w + x0] += ly * (1 - lx) * value
                        result[base + y1 * w + x1] += ly * lx * value
                    }
                }
            }
        }
        var shape = outputGradient.shape
        shape[shape.count - 2] = h
        shape[shape.count - 1] = w
        return Tensor(shape: shape, storage: result)
    }
}
