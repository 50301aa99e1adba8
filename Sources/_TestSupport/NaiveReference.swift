import TensorCore

/// Direct-loop implementations of kernels, written from the defining formulas with Float64
/// accumulation, for tests only. They are slow and obviously correct, which is the point.
public enum NaiveReference {
    /// y[n, o, i, j] = b[o] + Σ_{c,u,v} w[o, c, u, v] · x[n, c, s·i − p + u, s·j − p + v].
    public static func conv2DForward(input: Tensor, weight: Tensor, bias: Tensor?,
                                     stride: Int, padding: Int) -> Tensor {
        let (n, cin, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (cout, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3])
        let ho = (h + 2 * padding - kh) / stride + 1
        let wo = (w + 2 * padding - kw) / stride + 1
        var output = Tensor(zeros: [n, cout, ho, wo])
        for b in 0..<n {
            for o in 0..<cout {
                for i in 0..<ho {
                    for j in 0..<wo {
                        var total = Double(bias?.storage[o] ?? 0)
                        for c in 0..<cin {
                            for u in 0..<kh {
                                for v in 0..<kw {
                                    let y = stride * i - padding + u
                                    let x = stride * j - padding + v
                                    guard y >= 0, y < h, x >= 0, x < w else { continue }
                                    total += Double(weight[o, c, u, v]) * Double(input[b, c, y, x])
                                }
                            }
                        }
                        output[b, o, i, j] = Float(total)
                    }
                }
            }
        }
        return output
    }

    /// The three gradients of `conv2DForward` from their defining sums (see `Conv2DKernels`).
    public static func conv2DBackward(outputGradient: Tensor, input: Tensor, weight: Tensor,
                                      stride: Int, padding: Int)
        -> (input: Tensor, weight: Tensor, bias: Tensor) {
        let (n, cin, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (cout, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3])
        let (ho, wo) = (outputGradient.shape[2], outputGradient.shape[3])
        var dx = [Double](repeating: 0, count: input.count)
        var dw = [Double](repeating: 0, count: weight.count)
        var db = [Double](repeating: 0, count: cout)
        for b in 0..<n {
            for o in 0..<cout {
                for i in 0..<ho {
                    for j in 0..<wo {
                        let g = Double(outputGradient[b, o, i, j])
                        db[o] += g
                        for c in 0..<cin {
                            for u in 0..<kh {
                                for v in 0..<kw {
                                    let y = stride * i - padding + u
                                    let x = stride * j - padding + v
                                    guard y >= 0, y < h, x >= 0, x < w else { continue }
                                    let wIndex = ((o * cin + c) * kh + u) * kw + v
                                    let xIndex = ((b * cin + c) * h + y) * w + x
                                    dw[wIndex] += g * Double(input[b, c, y, x])
                                    dx[xIndex] += g * Double(weight[o, c, u, v])
                                }
                            }
                        }
                    }
                }
            }
        }
        return (Tensor(shape: input.shape, storage: dx.map { Float($0) }),
                Tensor(shape: weight.shape, storage: dw.map { Float($0) }),
                Tensor(shape: [cout], storage: db.map { Float($0) }))
    }
}
