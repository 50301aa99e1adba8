import NeuralNet
import TensorCore

/// A fully connected head on invariant features: y = x·Wᵀ + b.
/// Shapes: input (N, F), weight (O, F), bias (O) → (N, O).
public final class LinearHead: Module {
    /// (O, F), uniform in ±1/√F (PyTorch's default scale).
    public let weight: Variable
    /// (O), zero.
    public let bias: Variable

    /// A head from `inputFeatures` to `outputFeatures`.
    public init(inputFeatures: Int, outputFeatures: Int, generator: inout SeededGenerator) {
        let bound = 1 / Float(inputFeatures).squareRoot()
        weight = Variable(Tensor.uniform(shape: [outputFeatures, inputFeatures], low: -bound,
                                         high: bound, generator: &generator), requiresGrad: true)
        bias = Variable(Tensor(zeros: [outputFeatures]), requiresGrad: true)
        super.init()
    }

    /// (N, F) → (N, O).
    public override func forward(_ input: Variable) -> Variable {
        let x = input.value, w = weight.value
        return Variable.record(LinearKernels.forward(input: x, weight: w, bias: bias.value),
                               parents: [input, weight, bias]) { g in
            let grads = LinearKernels.backward(outputGradient: g, input: x, weight: w)
            return [grads.input, grads.weight, grads.bias]
        }
    }
}
