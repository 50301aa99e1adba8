extension Pool2D {
    /// Max pooling without the arg-max: `maxForward`'s output alone, for inference, where no
    /// backward pass will need the positions. Same windows and the same value (NaN propagates;
    /// on ties every maximum is the same value); output written once, never zero-filled;
    /// planes split across `ThreadPolicy.workerCount` workers.
    public static func maxValues(input: Tensor, kernel: Int, stride: Int? = nil) -> Tensor {
        let s = stride ?? kernel
        let p = Planes(input.shape, kernel: kernel, stride: s)
        let outPlane = p.outHeight * p.outWidth
        let inPlane = p.height * p.width
        let total = p.count * outPlane
        let output = [Float](unsafeUninitializedCapacity: total) { buffer, initialized in
            input.storage.withUnsafeBufferPointer { xb in  // (…, H, W)
                guard let x = xb.baseAddress, let y = buffer.baseAddress else { return }
                // Each chunk writes only the output planes of its own range.
                let (xs, ys) = (RegionPointer(x), RegionPointer(y))
                ThreadPolicy.parallel(count: p.count, minimumPerChunk: 16_384 / max(inPlane, 1)) {
                    _, planes in
                    for plane in planes {
                        let source = xs.pointer + plane * inPlane
                        let out = ys.pointer + plane * outPlane
                        if kernel == 2 && s == 2 {
                            maxValues2x2(source, width: p.width, outHeight: p.outHeight,
                                         outWidth: p.outWidth, output: out)
                        } else {
                            maxValues(source, width: p.width, kernel: kernel, stride: s,
                                      outHeight: p.outHeight, outWidth: p.outWidth, output: out)
                        }
                    }
                }
            }
            initialized = total
        }
        return Tensor(shape: p.leading + [p.outHeight, p.outWidth], storage: output)
    }

    /// The larger of `a` and `b`, NaN when either is NaN.
    @inline(__always)
    static func nanMax(_ a: Float, _ b: Float) -> Float {
        a > b || a.isNaN ? a : b
    }

    /// One plane of 2×2, stride-2 windows: two input rows give one output row.
    @inline(__always)
    static func maxValues2x2(_ source: UnsafePointer<Float>, width: Int, outHeight: Int,
                             outWidth: Int, output: UnsafeMutablePointer<Float>) {
        for i in 0..<outHeight {
            let top = source + 2 * i * width, bottom = top + width
            let row = output + i * outWidth
            for j in 0..<outWidth {
                row[j] = nanMax(nanMax(top[2 * j], top[2 * j + 1]),
                                nanMax(bottom[2 * j], bottom[2 * j + 1]))
            }
        }
    }

    /// One plane of k×k windows at stride s.
    static func maxValues(_ source: UnsafePointer<Float>, width: Int, kernel: Int, stride s: Int,
                          outHeight: Int, outWidth: Int, output: UnsafeMutablePointer<Float>) {
        for i in 0..<outHeight {
            for j in 0..<outWidth {
                let corner = source + (i * s) * width + j * s
                var best = corner[0]
                for u in 0..<kernel {
                    for v in 0..<kernel { best = nanMax(best, corner[u * width + v]) }
                }
                output[i * outWidth + j] = best
            }
        }
    }
}
