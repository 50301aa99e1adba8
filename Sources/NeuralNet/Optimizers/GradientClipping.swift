import TensorCore

/// Scales the gradients of `parameters` so that their global L2 norm (all gradients taken as
/// one vector) is at most `maximumNorm`, like PyTorch's `clip_grad_norm_`; returns the norm
/// before clipping.
///
/// The norm is accumulated in Double. Gradients are scaled by `maximumNorm / (norm + 1e-6)`
/// only when the norm exceeds `maximumNorm`. A non-finite norm (an overflow or NaN in some
/// gradient) leaves the gradients untouched and is returned, so the caller can skip the step.
/// Parameters without gradient are ignored.
@discardableResult
public func clipGradientNorm(_ parameters: [Variable], maximumNorm: Float) -> Float {
    precondition(maximumNorm > 0, "maximum gradient norm \(maximumNorm) must be > 0")
    var sumOfSquares = 0.0
    for parameter in parameters {
        guard let gradient = parameter.grad else { continue }
        gradient.storage.withUnsafeBufferPointer { samples in
            for sample in samples { sumOfSquares += Double(sample) * Double(sample) }
        }
    }
    let norm = sumOfSquares.squareRoot()
    guard norm.isFinite, norm > Double(maximumNorm) else { return Float(norm) }
    let scale = Float(Double(maximumNorm) / (norm + 1e-6))
    for parameter in parameters {
        guard var gradient = parameter.grad else { continue }
        parameter.grad = nil  // keep the buffer uniquely referenced so scaling is in place
        gradient.storage.withUnsafeMutableBufferPointer { samples in
            for i in 0..<samples.count { samples[i] *= scale }
        }
        parameter.grad = gradient
    }
    return Float(norm)
}
