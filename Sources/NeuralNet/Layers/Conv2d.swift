import TensorCore

/// 2-D convolution layer (cross-correlation, PyTorch's `nn.Conv2d` without groups or
/// dilation).
///
/// Shapes: input (N, Cin, H, W) → output (N, Cout, Ho, Wo), Ho = ⌊(H + 2p − k)/s⌋ + 1;
/// `weight` (Cout, Cin, k, k), `bias` (Cout). Defaults: stride 1, padding 0, with bias,
/// weight He-normal (fan-in; suits the ReLU that usually follows), bias zero.
public final class Conv2d: Module {
    public let weight: Variable
    public let bias: Variable?
    public let stride: Int
    public let padding: Int

    public init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1,
                padding: Int = 0, bias: Bool = true,
                initializer: Initializer = .heNormal(), generator: inout SeededGenerator) {
        precondition(inputChannels > 0 && outputChannels > 0 && kernelSize > 0,
                     "Conv2d channels and kernel size must be positive, got \(inputChannels), "
                     + "\(outputChannels), \(kernelSize)")
        weight = Variable(initializer.tensor(
            shape: [outputChannels, inputChannels, kernelSize, kernelSize],
            generator: &generator), requiresGrad: true)
        self.bias = bias ? Variable(Tensor(zeros: [outputChannels]), requiresGrad: true) : nil
        self.stride = stride
        self.padding = padding
    }

    override public func forward(_ input: Variable) -> Variable {
        Functional.conv2d(input, weight: weight, bias: bias, stride: stride, padding: padding)
    }
}
