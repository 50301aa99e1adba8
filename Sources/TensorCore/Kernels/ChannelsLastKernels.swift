/// Inference kernels on channels-last maps (N, H, W, C): the layout oneDNN's direct
/// convolutions compute in, so a network whose every layer keeps it changes layout only at
/// its input and output (`OneDNNConvolution.forwardChannelsLast`). Each gives the same samples
/// as its (N, C, H, W) counterpart (`Pool2D.maxValues`, `UpsampleKernels.nearestForward` with
/// a concatenation), only stored in the other order. Rows are split over the
/// `ThreadPolicy` workers; one row of a map is W·C contiguous samples.
public enum ChannelsLastKernels {
    /// (N, C, H, W) → (N, H, W, C). Outputs of the kernels here come from `pool` when one is
    /// given (`BufferPool`), else they are allocated.
    public static func fromPlanes(_ x: Tensor, pool: BufferPool? = nil) -> Tensor {
        precondition(x.rank == 4, "fromPlanes input must be (N, C, H, W), got \(x.shape)")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        if c == 1 { return x.reshaped([n, h, w, 1]) }  // the same bytes
        let output = rowwise(x.storage, rows: n * h, rowSize: w * c, pool: pool) {
            row, source, target in
            // row = image·H + y: its W·C samples gather one row of each of the C planes.
            let (image, y) = (row / h, row % h)
            let plane = source + image * c * h * w + y * w
            for channel in 0..<c {
                let from = plane + channel * h * w
                for col in 0..<w { target[col * c + channel] = from[col] }
            }
        }
        return Tensor(shape: [n, h, w, c], storage: output)
    }

    /// (N, H, W, C) → (N, C, H, W).
    public static func toPlanes(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "toPlanes input must be (N, H, W, C), got \(x.shape)")
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        if c == 1 { return x.reshaped([n, 1, h, w]) }
        // Output "rows" here are rows of one plane: (image, channel, y).
        let output = rowwise(x.storage, rows: n * c * h, rowSize: w, pool: nil) {
            row, source, target in
            let y = row % h, channel = (row / h) % c, image = row / (h * c)
            let from = source + (image * h + y) * w * c + channel
            for col in 0..<w { target[col] = from[col * c] }
        }
        return Tensor(shape: [n, c, h, w], storage: output)
    }

    /// 2×2 max pooling at stride 2 of (N, H, W, C) → (N, Ho, Wo, C) with Ho = ⌊H/2⌋ (a last odd
    /// row or column is dropped, as `Pool2D` does). NaN propagates; the four samples are
    /// compared in `Pool2D.maxValues2x2`'s order, so the maxima are the same bits.
    public static func maxPool2x2(_ x: Tensor, pool: BufferPool? = nil) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] >= 2 && x.shape[2] >= 2,
                     "maxPool2x2 input must be (N, H ≥ 2, W ≥ 2, C), got \(x.shape)")
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (oh, ow) = (h / 2, w / 2)
        let output = rowwise(x.storage, rows: n * oh, rowSize: ow * c, pool: pool) {
            row, source, target in
            let (image, i) = (row / oh, row % oh)
            let top = source + (image * h + 2 * i) * w * c, bottom = top + w * c
            for j in 0..<ow {
                let (a, b) = (top + 2 * j * c, bottom + 2 * j * c)
                let out = target + j * c
                var k = 0
                while k + 8 <= c {  // eight channels per step
                    let upper = nanMax(load8(a + k), load8(a + c + k))
                    let lower = nanMax(load8(b + k), load8(b + c + k))
                    UnsafeMutableRawPointer(out + k).storeBytes(of: nanMax(upper, lower),
                                                               as: SIMD8<Float>.self)
                    k += 8
                }
                while k < c {
                    out[k] = Pool2D.nanMax(Pool2D.nanMax(a[k], a[c + k]),
                                           Pool2D.nanMax(b[k], b[c + k]))
                    k += 1
                }
            }
        }
        return Tensor(shape: [n, oh, ow, c], storage: output)
    }

    /// The U-Net's skip join: `skip` (N, H, W, C₁) beside `coarse` (N, H/f, W/f, C₂) upsampled
    /// by nearest neighbour, → (N, H, W, C₁ + C₂), the skip's channels first — the
    /// concatenation of the skip with `UpsampleKernels.nearestForward(coarse)` along channels,
    /// in one pass.
    public static func concatenateUpsampled(skip: Tensor, coarse: Tensor, factor f: Int,
                                            pool: BufferPool? = nil) -> Tensor {
        precondition(skip.rank == 4 && coarse.rank == 4 && f >= 1
                     && skip.shape[0] == coarse.shape[0] && skip.shape[1] == coarse.shape[1] * f
                     && skip.shape[2] == coarse.shape[2] * f,
                     "concatenateUpsampled: skip \(skip.shape) must be (N, \(f)·h, \(f)·w, C) for "
                     + "coarse \(coarse.shape)")
        let (n, h, w, c1) = (skip.shape[0], skip.shape[1], skip.shape[2], skip.shape[3])
        let c2 = coarse.shape[3], cw = coarse.shape[2], ch = coarse.shape[1]
        let c = c1 + c2
        let output = skip.storage.withUnsafeBufferPointer { skipBuffer in
            let skips = RegionPointer(skipBuffer.baseAddress)
            return rowwise(coarse.storage, rows: n * h, rowSize: w * c, pool: pool) {
                row, source, target in
                guard let skipBase = skips.pointer else { return }
                let (image, y) = (row / h, row % h)
                let fromSkip = skipBase + row * w * c1
                let fromCoarse = source + (image * ch + y / f) * cw * c2
                for col in 0..<w {
                    let out = target + col * c
                    let a = fromSkip + col * c1, b = fromCoarse + (col / f) * c2
                    out.update(from: a, count: c1)
                    (out + c1).update(from: b, count: c2)
                }
            }
        }
        return Tensor(shape: [n, h, w, c], storage: output)
    }

    /// Eight samples from `p` (any alignment).
    @inline(__always)
    private static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// `Pool2D.nanMax` lane by lane: the larger of a and b, a where a is NaN, b where b is.
    @inline(__always)
    private static func nanMax(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        b.replacing(with: a, where: (a .> b) .| (a .!= a))
    }

    /// An output of `rows · rowSize` samples, row r written by `body(r, input, row r)`; rows
    /// split over the workers.
    private static func rowwise(
        _ input: [Float], rows: Int, rowSize: Int, pool: BufferPool?,
        _ body: @Sendable (Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) -> [Float] {
        let total = rows * rowSize
        var output = pool?.take(count: total) ?? BufferPool.fresh(count: total)
        output.withUnsafeMutableBufferPointer { buffer in
            input.withUnsafeBufferPointer { source in
                guard let x = source.baseAddress, let y = buffer.baseAddress else { return }
                // Each chunk writes only the output rows of its own range.
                let (xs, ys) = (RegionPointer(x), RegionPointer(y))
                let minimum = max(1, 8_192 / max(rowSize, 1))
                ThreadPolicy.parallel(count: rows, minimumPerChunk: minimum) { _, range in
                    for row in range { body(row, xs.pointer, ys.pointer + row * rowSize) }
                }
            }
        }
        return output
    }
}
