import NeuralNet
import TensorCore
import XCTest

extension GradientCheck {
    /// Checks the tape gradients of `build` with respect to every input tensor and every
    /// parameter in `parameters`, through the probe loss Σ w·y with seeded random w, against
    /// central differences (`assertGradients`). Parameters are perturbed in place and restored.
    @discardableResult
    public static func assertTapeGradients(inputs: [Tensor], parameters: [Variable] = [],
                                           epsilon: Float = 1e-2, tolerance: Double = 1e-3,
                                           maximumSamples: Int? = nil, seed: UInt64 = 99,
                                           _ message: @autoclosure () -> String = "",
                                           file: StaticString = #filePath, line: UInt = #line,
                                           build: @escaping ([Variable]) -> Variable)
        -> Result {
        var generator = SeededGenerator(seed: seed)
        let variables = inputs.map { Variable($0, requiresGrad: true) }
        for parameter in parameters { parameter.grad = nil }
        let output = build(variables)
        let weights = Tensor.gaussian(shape: output.shape, std: 1, generator: &generator)
        output.backward(seed: weights)
        let analytic = variables.map { $0.grad ?? Tensor(zeros: $0.shape) }
            + parameters.map { $0.grad ?? Tensor(zeros: $0.shape) }
        let saved = parameters.map(\.value)
        defer { for (parameter, value) in zip(parameters, saved) { parameter.value = value } }
        return assertGradients(inputs: inputs + saved, analytic: analytic, epsilon: epsilon,
                               tolerance: tolerance, maximumSamples: maximumSamples,
                               message(), file: file, line: line) { tensors in
            for (k, parameter) in parameters.enumerated() {
                parameter.value = tensors[inputs.count + k]
            }
            return GradientTape.withoutRecording {
                probe(build(tensors.prefix(inputs.count).map { Variable($0) }).value,
                      weights: weights)
            }
        }
    }
}
