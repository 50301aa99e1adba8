import Foundation

/// Softmax and log-softmax along one axis, forward beside backward.
///
///     softmax(x)_k = e^{x_k − m} / Σ_j e^{x_j − m},  m = max_j x_j (for stability)
///     logSoftmax(x)_k = x_k − m − log Σ_j e^{x_j − m}
///
/// Backward with g = ∂L/∂y along the axis:
///
///     softmax:     ∂L/∂x_k = y_k · (g_k − Σ_j g_j y_j)
///     log-softmax: ∂L/∂x_k = g_k − softmax(x)_k · Σ_j g_j = g_k − e^{y_k} Σ_j g_j
public enum Softmax {
    /// Applies `body(base, stride, extent)` for every fibre along `axis`.
    static func fibres(_ shape: [Int], axis: Int,
                       _ body: (_ base: Int, _ stride: Int, _ extent: Int) -> Void) {
        precondition(axis >= 0 && axis < shape.count, "softmax axis \(axis) out of range \(shape)")
        let outer = shape[..<axis].reduce(1, *)
        let extent = shape[axis]
        let inner = shape[(axis + 1)...].reduce(1, *)
        for o in 0..<outer {
            for i in 0..<inner { body(o * extent * inner + i, inner, extent) }
        }
    }

    /// Softmax of `logits` along `axis`.
    public static func forward(logits: Tensor, axis: Int) -> Tensor {
        var output = [Float](repeating: 0, count: logits.count)  // logits shape
        logits.storage.withUnsafeBufferPointer { x in
            fibres(logits.shape, axis: axis) { base, stride, extent in
                var m = -Float.infinity
                for k in 0..<extent { m = max(m, x[base + k * stride]) }
                var total: Float = 0
                for k in 0..<extent {
                    let e = exp(x[base + k * stride] - m)
                    output[base + k * stride] = e
                    total += e
                }
                let inv = 1 / total
                for k in 0..<extent { output[base + k * stride] *= inv }
            }
        }
        return Tensor(shape: logits.shape, storage: output)
    }

    /// Softmax backward from its output y.
    public static func backward(outputGradient: Tensor, output: Tensor, axis: Int) -> Tensor {
        precondition(outputGradient.shape == output.shape,
                     "softmax gradient \(outputGradient.shape) differs from output \(output.shape)")
        var result = [Float](repeating: 0, count: output.count)  // output shape
        outputGradient.storage.withUnsafeBufferPointer { g in
            output.storage.withUnsafeBufferPointer { y in
                fibres(output.shape, axis: axis) { base, stride, extent in
                    var dot: Float = 0
                    for k in 0..<extent { dot += g[base + k * stride] * y[base + k * stride] }
                    for k in 0..<extent {
                        let index = base + k * stride
                        result[index] = y[index] * (g[index] - dot)
                    }
                }
            }
        }
        return Tensor(shape: output.shape, storage: result)
    }

    /// Log-softmax of `logits` along `axis`.
    public static func logSoftmaxForward(logits: Tensor, axis: Int) -> Tensor {
        var output = [Float](repeating: 0, count: logits.count)  // logits shape
        logits.storage.withUnsafeBufferPointer { x in
            fibres(logits.shape, axis: axis) { base, stride, extent in
                var m = -Float.infinity
                for k in 0..<extent { m = max(m, x[base + k * stride]) }
                var total: Float = 0
                for k in 0..<extent { total += exp(x[base + k * stride] - m) }
                // (x − m) − log Σ, not x − (m + log Σ): keeps the precision of x − m.
                let logTotal = log(total)
                for k in 0..<extent {
                    output[base + k * stride] = (x[base + k * stride] - m) - logTotal
                }
            }
        }
        return Tensor(shape: logits.shape, storage: output)
    }

    /// Log-softmax backward from its output y = logSoftmax(x).
    public static func logSoftmaxBackward(outputGradient: Tensor, output: Tensor,
                                          axis: Int) -> Tensor {
        precondition(outputGradient.shape == output.shape,
                     "log-softmax gradient \(outputGradient.shape) differs from \(output.shape)")
        var result = [Float](repeating: 0, count: output.count)  // output shape
        outputGradient.storage.withUnsafeBufferPointer { g in
            output.storage.withUnsafeBufferPointer { y in
                fibres(output.shape, axis: axis) { base, stride, extent in
                    var total: Float = 0
                    for k in 0..<extent { total += g[base + k * stride] }
                    for k in 0..<extent {
                        let index = base + k * stride
                        result[index] = g[index] - exp(y[index]) * total
                    }
                }
            }
        }
        return Tensor(shape: output.shape, storage: result)
    }
}
