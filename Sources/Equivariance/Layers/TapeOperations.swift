import NeuralNet
import TensorCore

/// The gradient-tape operations the equivariant layers are built from: each wraps a TensorCore
/// kernel (forward) and its backward twin in one `Variable.record`.
enum TapeOperations {
    /// The same samples under another shape (free: contiguous storage is shared).
    static func reshape(_ x: Variable, _ shape: [Int]) -> Variable {
        let inputShape = x.shape
        return Variable.record(x.value.reshaped(shape), parents: [x]) { gradient in
            [gradient.reshaped(inputShape)]
        }
    }

    /// Conv2D of an (N, Cin, H, W) input with an (Cout, Cin, k, k) bank and optional (Cout) bias.
    static func convolution(_ x: Variable, bank: Variable, bias: Variable?, stride: Int,
                            padding: Int) -> Variable {
        let output = Conv2DKernels.forward(input: x.value, weight: bank.value, bias: bias?.value,
                                           stride: stride, padding: padding)  // (N, Cout, Ho, Wo)
        var parents = [x, bank]
        if let bias { parents.append(bias) }
        let hasBias = bias != nil
        return Variable.record(output, parents: parents) { gradient in
            let grads = Conv2DKernels.backward(outputGradient: gradient, input: x.value,
                                               weight: bank.value, stride: stride, padding: padding,
                                               needsInputGradient: x.requiresGrad)
            return hasBias ? [grads.input, grads.weight, grads.bias] : [grads.input, grads.weight]
        }
    }

    /// Repeats each of the C values of `bias` |G| times: (C) → (C·|G|), so that one bias per
    /// field is shared by its poses; the backward sums the |G| gradients of each field.
    static func repeatPerPose(_ bias: Variable, order: Int) -> Variable {
        let fields = bias.shape[0]
        var repeated = [Float](repeating: 0, count: fields * order)  // (C·G)
        for c in 0..<fields {
            for g in 0..<order { repeated[c * order + g] = bias.value.storage[c] }
        }
        return Variable.record(Tensor(shape: [fields * order], storage: repeated),
                               parents: [bias]) { gradient in
            var summed = [Float](repeating: 0, count: fields)  // (C)
            for c in 0..<fields {
                for g in 0..<order { summed[c] += gradient.storage[c * order + g] }
            }
            return [Tensor(shape: [fields], storage: summed)]
        }
    }

    /// max(x, 0) sample by sample.
    static func relu(_ x: Variable) -> Variable {
        Variable.record(Activation.reluForward(x.value), parents: [x]) { gradient in
            [Activation.reluBackward(outputGradient: gradient, input: x.value)]
        }
    }

    /// Concatenation along axis 1 (fields) of tensors that agree on every other axis.
    static func concatenateFields(_ parts: [Variable]) -> Variable {
        let sizes = parts.map { $0.shape[1] }
        let joined = Tensor.concatenate(parts.map(\.value), axis: 1)
        return Variable.record(joined, parents: parts) { gradient in
            gradient.split(axis: 1, sizes: sizes).map { Optional($0) }
        }
    }
}
