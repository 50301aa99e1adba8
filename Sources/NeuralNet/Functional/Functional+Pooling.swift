import TensorCore

extension Functional {
    /// Max pooling over k×k windows (stride defaults to k): (…, H, W) → (…, Ho, Wo),
    /// Ho = ⌊(H − k)/s⌋ + 1. The gradient goes to the first maximum of each window.
    public static func maxPool2d(_ input: Variable, kernelSize: Int,
                                 stride: Int? = nil) -> Variable {
        let shape = input.shape
        let (output, argmax) = Pool2D.maxForward(input: input.value, kernel: kernelSize,
                                                 stride: stride)
        return Variable.record(output, parents: [input]) { g in
            [Pool2D.maxBackward(outputGradient: g, argmax: argmax, inputShape: shape)]
        }
    }

    /// Average pooling over k×k windows (stride defaults to k): (…, H, W) → (…, Ho, Wo).
    public static func avgPool2d(_ input: Variable, kernelSize: Int,
                                 stride: Int? = nil) -> Variable {
        let shape = input.shape
        let output = Pool2D.averageForward(input: input.value, kernel: kernelSize,
                                           stride: stride)
        return Variable.record(output, parents: [input]) { g in
            [Pool2D.averageBackward(outputGradient: g, inputShape: shape, kernel: kernelSize,
                                    stride: stride)]
        }
    }

    /// Mean over the last two axes: (…, H, W) → (…), e.g. (N, C, H, W) → (N, C).
    public static func globalAvgPool(_ input: Variable) -> Variable {
        let shape = input.shape
        return Variable.record(Pool2D.globalAverageForward(input: input.value),
                               parents: [input]) { g in
            [Pool2D.globalAverageBackward(outputGradient: g, inputShape: shape)]
        }
    }

    /// Maximum over the last two axes: (…, H, W) → (…).
    public static func globalMaxPool(_ input: Variable) -> Variable {
        let shape = input.shape
        let (output, argmax) = Pool2D.globalMaxForward(input: input.value)
        return Variable.record(output, parents: [input]) { g in
            [Pool2D.globalMaxBackward(outputGradient: g, argmax: argmax, inputShape: shape)]
        }
    }

    /// Nearest-neighbour upsampling by an integer factor: (…, H, W) → (…, f·H, f·W).
    public static func upsampleNearest(_ input: Variable, factor: Int) -> Variable {
        let output = UpsampleKernels.nearestForward(input: input.value, factor: factor)
        return Variable.record(output, parents: [input]) { g in
            [UpsampleKernels.nearestBackward(outputGradient: g, factor: factor)]
        }
    }

    /// Bilinear upsampling by an integer factor: (…, H, W) → (…, f·H, f·W) (the kernel's
    /// sampling convention; see `UpsampleKernels.bilinearForward`).
    public static func upsampleBilinear(_ input: Variable, factor: Int) -> Variable {
        let output = UpsampleKernels.bilinearForward(input: input.value, factor: factor)
        return Variable.record(output, parents: [input]) { g in
            [UpsampleKernels.bilinearBackward(outputGradient: g, factor: factor)]
        }
    }
}
