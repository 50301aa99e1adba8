import Foundation
import TensorCore

/// How a weight tensor is filled at construction, from a seeded generator.
///
/// Fans follow PyTorch for a weight of shape (out, in, k…): fan-in = in·Πk,
/// fan-out = out·Πk; for a vector, both are its length.
/// - `heNormal` / `heUniform` (He et al. 2015, "Delving deep into rectifiers", fan-in mode):
///   variance 2/((1 + a²)·fan-in) with a the negative slope of a leaky ReLU (0 for ReLU);
///   the normal has std √(2/((1+a²)·fan-in)), the uniform bound √(6/((1+a²)·fan-in)).
/// - `xavierNormal` / `xavierUniform` (Glorot & Bengio 2010): variance 2/(fan-in + fan-out);
///   std √(2/(fan-in + fan-out)), uniform bound √(6/(fan-in + fan-out)).
/// - `zeros`, `ones`, `constant(v)`.
public enum Initializer: Sendable, Equatable {
    case heNormal(negativeSlope: Float = 0)
    case heUniform(negativeSlope: Float = 0)
    case xavierNormal
    case xavierUniform
    case zeros
    case ones
    case constant(Float)

    /// (fan-in, fan-out) of a weight of `shape`.
    public static func fans(of shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        precondition(!shape.isEmpty, "fans need a tensor of rank >= 1")
        guard shape.count >= 2 else { return (shape[0], shape[0]) }
        let receptive = shape.dropFirst(2).reduce(1, *)
        return (shape[1] * receptive, shape[0] * receptive)
    }

    /// A tensor of `shape` filled by this rule.
    public func tensor(shape: [Int], generator: inout SeededGenerator) -> Tensor {
        switch self {
        case .zeros: return Tensor(zeros: shape)
        case .ones: return Tensor(zeros: shape, value: 1)
        case .constant(let value): return Tensor(zeros: shape, value: value)
        default: break
        }
        let (fanIn, fanOut) = Self.fans(of: shape)
        precondition(fanIn > 0 && fanOut > 0, "cannot initialise a weight of shape \(shape)")
        switch self {
        case .heNormal(let slope):
            let std = (2 / ((1 + slope * slope) * Float(fanIn))).squareRoot()
            return Tensor.gaussian(shape: shape, std: std, generator: &generator)
        case .heUniform(let slope):
            let bound = (6 / ((1 + slope * slope) * Float(fanIn))).squareRoot()
            return Tensor.uniform(shape: shape, low: -bound, high: bound, generator: &generator)
        case .xavierNormal:
            let std = (2 / Float(fanIn + fanOut)).squareRoot()
            return Tensor.gaussian(shape: shape, std: std, generator: &generator)
        case .xavierUniform:
            let bound = (6 / Float(fanIn + fanOut)).squareRoot()
            return Tensor.uniform(shape: shape, low: -bound, high: bound, generator: &generator)
        case .zeros, .ones, .constant:
            preconditionFailure("handled above")
        }
    }
}
