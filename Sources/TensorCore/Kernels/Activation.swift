import Foundation

/// Pointwise activations, each forward beside its backward. Every function keeps the shape.
///
/// - ReLU: y = max(0, x); ∂y/∂x = 1 for x > 0, else 0.
/// - Leaky ReLU (Maas et al. 2013): y = x for x > 0, else a·x; ∂y/∂x = 1 or a.
/// - ELU (Clevert et al. 2016): y = x for x > 0, else α(eˣ − 1); ∂y/∂x = 1 or α·eˣ.
/// - Sigmoid: σ(x) = 1 / (1 + e⁻ˣ); ∂σ/∂x = σ(1 − σ), computed from the output.
/// - Tanh: ∂tanh/∂x = 1 − tanh², computed from the output.
public enum Activation {
    /// ReLU forward: max(0, x).
    public static func reluForward(_ input: Tensor) -> Tensor { input.map { $0 > 0 ? $0 : 0 } }

    /// ReLU backward: g where x > 0, else 0.
    public static func reluBackward(outputGradient: Tensor, input: Tensor) -> Tensor {
        outputGradient.zipMap(input) { g, x in x > 0 ? g : 0 }
    }

    /// Leaky ReLU forward with negative `slope` (PyTorch default 0.01).
    public static func leakyReluForward(_ input: Tensor, slope: Float = 0.01) -> Tensor {
        input.map { $0 > 0 ? $0 : slope * $0 }
    }

    /// Leaky ReLU backward.
    public static func leakyReluBackward(outputGradient: Tensor, input: Tensor,
                                         slope: Float = 0.01) -> Tensor {
        outputGradient.zipMap(input) { g, x in x > 0 ? g : slope * g }
    }

    /// ELU forward with scale `alpha` (default 1).
    public static func eluForward(_ input: Tensor, alpha: Float = 1) -> Tensor {
        input.map { $0 > 0 ? $0 : alpha * Float(expm1(Double($0))) }
    }

    /// ELU backward (from the input, so it is exact also where α ≠ 1).
    public static func eluBackward(outputGradient: Tensor, input: Tensor,
                                   alpha: Float = 1) -> Tensor {
        outputGradient.zipMap(input) { g, x in x > 0 ? g : g * alpha * Float(exp(Double(x))) }
    }

    /// Numerically stable logistic sigmoid.
    @inline(__always)
    public static func sigmoid(_ x: Float) -> Float {
        if x >= 0 { return 1 / (1 + exp(-x)) }
        let e = exp(x)
        return e / (1 + e)
    }

    /// Sigmoid forward.
    public static func sigmoidForward(_ input: Tensor) -> Tensor { input.map(sigmoid) }

    /// Sigmoid backward from the forward output y = σ(x): g · y · (1 − y).
    public static func sigmoidBackward(outputGradient: Tensor, output: Tensor) -> Tensor {
        outputGradient.zipMap(output) { g, y in g * y * (1 - y) }
    }

    /// Tanh forward.
    public static func tanhForward(_ input: Tensor) -> Tensor { input.map { tanh($0) } }

    /// Tanh backward from the forward output y = tanh(x): g · (1 − y²).
    public static func tanhBackward(outputGradient: Tensor, output: Tensor) -> Tensor {
        outputGradient.zipMap(output) { g, y in g * (1 - y * y) }
    }
}
