import TensorCore
import XCTest

/// Central finite-difference gradient checking for any kernel or layer.
///
/// For each sample θ of each input, the numerical derivative is
/// (f(θ + ε) − f(θ − ε)) / 2ε, with f evaluated on Float32 tensors and the difference taken
/// in Float64. Its truncation error is O(ε²·f‴) and its rounding error O(u·|f| / ε), so scalar
/// losses should be O(1) and built with Float64 accumulation (see `probe`). The error of each
/// sample is |analytic − numerical| / max(1, |numerical|): absolute for small gradients,
/// relative for large ones.
public enum GradientCheck {
    /// Outcome of a check: the worst sample and where it is.
    public struct Result: CustomStringConvertible, Sendable {
        /// Largest |analytic − numerical| / max(1, |numerical|).
        public var worstError: Double
        /// Largest |analytic − numerical|.
        public var worstAbsoluteError: Double
        /// Input and flat sample index of the worst error.
        public var inputIndex: Int, sampleIndex: Int
        /// Both derivatives at the worst sample.
        public var analytic: Double, numerical: Double
        /// Samples checked.
        public var checked: Int

        public var description: String {
            "worst error \(worstError) (abs \(worstAbsoluteError)) at input \(inputIndex) "
                + "sample \(sampleIndex): analytic \(analytic), numerical \(numerical); "
                + "\(checked) samples checked"
        }
    }

    /// A scalar loss Σ_i w_i y_i for a random probe w (seeded), summed in Float64; its gradient
    /// with respect to y is w. Turning an output tensor into a scalar this way checks every
    /// output's backward path with distinct weights.
    public static func probe(_ output: Tensor, weights: Tensor) -> Float {
        precondition(output.shape == weights.shape,
                     "probe: output \(output.shape) and weights \(weights.shape) differ")
        var total = 0.0
        for i in 0..<output.count {
            total += Double(output.storage[i]) * Double(weights.storage[i])
        }
        return Float(total)
    }

    /// Numerical gradients of `function` with respect to every input (or at most
    /// `maximumSamples` evenly spaced samples per input; unchecked samples stay 0).
    public static func numericalGradients(inputs: [Tensor], epsilon: Float = 1e-2,
                                          maximumSamples: Int? = nil,
                                          function: ([Tensor]) -> Float) -> [Tensor] {
        var working = inputs
        var result = inputs.map { Tensor(zeros: $0.shape) }
        for k in 0..<inputs.count {
            for i in sampleIndices(count: inputs[k].count, maximum: maximumSamples) {
                let original = working[k].storage[i]
                working[k].storage[i] = original + epsilon
                let plus = Double(function(working))
                working[k].storage[i] = original - epsilon
                let minus = Double(function(working))
                working[k].storage[i] = original
                // Divide by the step actually taken in Float32.
                let step = Double(original + epsilon) - Double(original - epsilon)
                result[k].storage[i] = Float((plus - minus) / step)
            }
        }
        return result
    }

    /// Compares `analytic` gradients (one per input, same shapes) with central differences
    /// of `function` and returns the worst error. `tolerance` only decides `passed(_:)`.
    public static func check(inputs: [Tensor], function: ([Tensor]) -> Float, analytic: [Tensor],
                             epsilon: Float = 1e-2, maximumSamples: Int? = nil) -> Result {
        precondition(inputs.count == analytic.count,
                     "\(inputs.count) inputs but \(analytic.count) analytic gradients")
        for (input, gradient) in zip(inputs, analytic) {
            precondition(input.shape == gradient.shape,
                         "analytic gradient \(gradient.shape) differs from input \(input.shape)")
        }
        var working = inputs
        var result = Result(worstError: 0, worstAbsoluteError: 0, inputIndex: 0, sampleIndex: 0,
                            analytic: 0, numerical: 0, checked: 0)
        for k in 0..<inputs.count {
            for i in sampleIndices(count: inputs[k].count, maximum: maximumSamples) {
                let original = working[k].storage[i]
                working[k].storage[i] = original + epsilon
                let plus = Double(function(working))
                working[k].storage[i] = original - epsilon
                let minus = Double(function(working))
                working[k].storage[i] = original
                let step = Double(original + epsilon) - Double(original - epsilon)
                let numerical = (plus - minus) / step
                let exact = Double(analytic[k].storage[i])
                let absolute = abs(exact - numerical)
                let error = absolute / max(1, abs(numerical))
                if !(error <= result.worstError) {  // also catches NaN
                    result.worstError = error.isNaN ? .infinity : error
                    result.inputIndex = k
                    result.sampleIndex = i
                    result.analytic = exact
                    result.numerical = numerical
                }
                result.worstAbsoluteError = max(result.worstAbsoluteError, absolute)
                result.checked += 1
            }
        }
        return result
    }

    /// `check`, then an XCTest failure when the worst error exceeds `tolerance`.
    @discardableResult
    public static func assertGradients(inputs: [Tensor], analytic: [Tensor],
                                       epsilon: Float = 1e-2, tolerance: Double,
                                       maximumSamples: Int? = nil,
                                       _ message: @autoclosure () -> String = "",
                                       file: StaticString = #filePath, line: UInt = #line,
                                       function: ([Tensor]) -> Float) -> Result {
        let result = check(inputs: inputs, function: function, analytic: analytic,
                           epsilon: epsilon, maximumSamples: maximumSamples)
        if !(result.worstError <= tolerance) {
            XCTFail("gradient check failed (tolerance \(tolerance)): \(result). \(message())",
                    file: file, line: line)
        }
        return result
    }

    /// Evenly spaced sample indices, all of them when `maximum` is nil or ≥ count.
    static func sampleIndices(count: Int, maximum: Int?) -> [Int] {
        guard let maximum, maximum < count else { return Array(0..<count) }
        return (0..<maximum).map { $0 * count / maximum }
    }
}
