/// Inverted dropout (Srivastava et al. 2014), forward beside backward.
///
/// In training each sample is kept with probability 1 − p and scaled by 1 / (1 − p), so the
/// expected output equals the input and inference needs no rescaling (call nothing at
/// inference). The mask has the input's shape and holds 0 or 1 / (1 − p); it is drawn in
/// row-major order from the generator, one `nextFloat()` per sample, so a seed fixes it.
public enum DropoutKernels {
    /// Returns the output and the mask (0 or 1/(1 − p) per sample). `probability` ∈ [0, 1).
    public static func forward(input: Tensor, probability: Float,
                               generator: inout SeededGenerator) -> (output: Tensor, mask: Tensor) {
        precondition(probability >= 0 && probability < 1,
                     "Dropout probability must be in [0, 1), got \(probability)")
        let scale = 1 / (1 - probability)
        var mask = [Float](repeating: 0, count: input.count)  // same shape as input
        for i in 0..<mask.count { mask[i] = generator.nextFloat() < probability ? 0 : scale }
        let maskTensor = Tensor(shape: input.shape, storage: mask)
        return (input * maskTensor, maskTensor)
    }

    /// ∂L/∂x = g ⊙ mask.
    public static func backward(outputGradient: Tensor, mask: Tensor) -> Tensor {
        outputGradient * mask
    }
}
