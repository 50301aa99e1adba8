import TensorCore

extension Functional {
    /// Batch normalisation per index of axis 1 over all other axes (Ioffe & Szegedy 2015):
    /// input (N, C, …), gamma/beta (C); running estimates (C) are updated in training
    /// (momentum as in PyTorch) and used, unchanged, in evaluation.
    public static func batchNorm(_ input: Variable, gamma: Variable, beta: Variable,
                                 runningMean: Buffer, runningVariance: Buffer,
                                 momentum: Float = 0.1, epsilon: Float = 1e-5,
                                 training: Bool) -> Variable {
        var mean = runningMean.value, variance = runningVariance.value
        runningMean.value = Tensor(zeros: [0])  // let the kernel update the buffers in place
        runningVariance.value = Tensor(zeros: [0])
        let (output, cache) = BatchNorm.forward(input: input.value, gamma: gamma.value,
                                                beta: beta.value, runningMean: &mean,
                                                runningVariance: &variance, momentum: momentum,
                                                epsilon: epsilon, training: training)
        runningMean.value = mean
        runningVariance.value = variance
        return Variable.record(output, parents: [input, gamma, beta]) { g in
            let gradients = BatchNorm.backward(outputGradient: g, cache: cache)
            return [gradients.input, gradients.gamma, gradients.beta]
        }
    }

    /// Inverted dropout: each sample zeroed with `probability` and the rest scaled by
    /// 1/(1 − p), drawn from `generator`. Call only in training; evaluation is the identity.
    public static func dropout(_ input: Variable, probability: Float,
                               generator: inout SeededGenerator) -> Variable {
        let (output, mask) = DropoutKernels.forward(input: input.value,
                                                    probability: probability,
                                                    generator: &generator)
        return Variable.record(output, parents: [input]) { g in
            [DropoutKernels.backward(outputGradient: g, mask: mask)]
        }
    }
}
