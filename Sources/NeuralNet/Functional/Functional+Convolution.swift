import TensorCore

extension Functional {
    /// 2-D convolution (cross-correlation, PyTorch's `conv2d`) with stride and zero padding.
    ///
    /// input (N, Cin, H, W), weight (Cout, Cin, kH, kW), bias (Cout) → (N, Cout, Ho, Wo),
    /// Ho = ⌊(H + 2p − kH)/s⌋ + 1. The input gradient is computed only when the input needs
    /// one (the first layer of a network skips it).
    public static func conv2d(_ input: Variable, weight: Variable, bias: Variable? = nil,
                              stride: Int = 1, padding: Int = 0) -> Variable {
        let x = input.value, w = weight.value
        let output = Conv2DKernels.forward(input: x, weight: w, bias: bias?.value, stride: stride,
                                           padding: padding)
        var parents = [input, weight]
        if let bias { parents.append(bias) }
        let needInput = input.requiresGrad, hasBias = bias != nil
        return Variable.record(output, parents: parents) { g in
            let gradients = Conv2DKernels.backward(outputGradient: g, input: x, weight: w,
                                                   stride: stride, padding: padding,
                                                   needsInputGradient: needInput)
            var result: [Tensor?] = [gradients.input, gradients.weight]
            if hasBias { result.append(gradients.bias) }
            return result
        }
    }

    /// Fully connected map y = x·Wᵀ + b: input (N, F), weight (O, F), bias (O) → (N, O).
    public static func linear(_ input: Variable, weight: Variable,
                              bias: Variable? = nil) -> Variable {
        let x = input.value, w = weight.value
        let output = LinearKernels.forward(input: x, weight: w, bias: bias?.value)
        var parents = [input, weight]
        if let bias { parents.append(bias) }
        let hasBias = bias != nil
        return Variable.record(output, parents: parents) { g in
            let gradients = LinearKernels.backward(outputGradient: g, input: x, weight: w)
            var result: [Tensor?] = [gradients.input, gradients.weight]
            if hasBias { result.append(gradients.bias) }
            return result
        }
    }
}
