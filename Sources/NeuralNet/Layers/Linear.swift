import TensorCore

/// Fully connected layer y = x·Wᵀ + b (PyTorch's `nn.Linear`).
///
/// Shapes: input (N, F) → output (N, O); `weight` (O, F), `bias` (O). Defaults: with bias,
/// weight He-normal (fan-in), bias zero.
public final class Linear: Module {
    public let weight: Variable
    public let bias: Variable?

    public init(inputFeatures: Int, outputFeatures: Int, bias: Bool = true,
                initializer: Initializer = .heNormal(), generator: inout SeededGenerator) {
        precondition(inputFeatures > 0 && outputFeatures > 0,
                     "Linear feature counts must be positive, got \(inputFeatures), "
                     + "\(outputFeatures)")
        weight = Variable(initializer.tensor(shape: [outputFeatures, inputFeatures],
                                             generator: &generator), requiresGrad: true)
        self.bias = bias ? Variable(Tensor(zeros: [outputFeatures]), requiresGrad: true) : nil
    }

    override public func forward(_ input: Variable) -> Variable {
        Functional.linear(input, weight: weight, bias: bias)
    }
}
