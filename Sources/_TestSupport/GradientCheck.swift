import TensorCore
import XCTest

/// Central finite-difference gradient checking for any kernel or layer.
///
/// For each sample θ of each input, the numerical derivative is
/// (f(θ + ε) − f(θ − ε)) / 2ε, with the forward pass evaluated on Float32 tensors and the
/// scalar loss f returned, and differenced, in Float64 (see `probe`). Its truncation error is
/// O(ε²·f‴) and its rounding error O(u₃₂·|y|·√m / ε) for m Float32 outputs y that the sample
/// moves (u₃₂ ≈ 6e-8), so ε = 1e-2 suits smooth operations with O(1) curvature and
/// ε = 1e-3 those with larger curvature (softmax, sigmoid). The error of each sample is
/// |a − n| / max(1, |a|, |n|) for analytic a and numerical n: absolute for small gradients,
/// relative for large ones.
public enum GradientCheck {
    /// Outcome of a check: the worst sample and where it is.
    public struct Result: CustomStringConvertible, Sendable {
        /// Largest |analytic − numerical| / max(1, |analytic|, |numerical|).
        public var worstError: Double
        /// Largest |analytic − numerical|.
        public var worstAbsoluteError: Double
        /// Input and flat sample index of the worst error.
        public var inputIndex: Int, sampleIndex: Int
        /// Both derivatives at the worst sample.
        public var analytic: Double, numerical: Double
        /// Samples checked.
        public var checked: Int
        /// Samples whose step had to be shrunk to avoid a kink (`checkPiecewiseLinear`).
        public var shrunkSteps = 0
        /// Samples with no kink-free step down to the smallest one (`checkPiecewiseLinear`);
        /// their error is that of the central difference at the smallest step.
        public var kinked = 0

        public var description: String {
            var text = "worst error \(worstError) (abs \(worstAbsoluteError)) at input "
                + "\(inputIndex) sample \(sampleIndex): analytic \(analytic), numerical "
                + "\(numerical); \(checked) samples checked"
            if shrunkSteps > 0 || kinked > 0 {
                text += ", \(shrunkSteps) with a shrunk step, \(kinked) with no kink-free step"
            }
            return text
        }

        init() {
            worstError = 0
            worstAbsoluteError = 0
            inputIndex = 0
            sampleIndex = 0
            analytic = 0
            numerical = 0
            checked = 0
        }

        /// Folds one sample into the worst-case summary.
        mutating func record(analytic exact: Double, numerical: Double, input: Int,
                             sample: Int) {
            let absolute = abs(exact - numerical)
            let error = GradientCheck.error(analytic: exact, numerical: numerical)
            if !(error <= worstError) {  // also catches NaN
                worstError = error.isNaN ? .infinity : error
                inputIndex = input
                sampleIndex = sample
                analytic = exact
                self.numerical = numerical
            }
            worstAbsoluteError = max(worstAbsoluteError, absolute.isNaN ? .infinity : absolute)
            checked += 1
        }
    }

    /// |a − n| / max(1, |a|, |n|).
    public static func error(analytic: Double, numerical: Double) -> Double {
        abs(analytic - numerical) / max(1, abs(analytic), abs(numerical))
    }

    /// A scalar loss Σ_i w_i y_i for a random probe w (seeded), summed in Float64; its gradient
    /// with respect to y is w. Turning an output tensor into a scalar this way checks every
    /// output's backward path with distinct weights.
    public static func probe(_ output: Tensor, weights: Tensor) -> Double {
        precondition(output.shape == weights.shape,
                     "probe: output \(output.shape) and weights \(weights.shape) differ")
        var total = 0.0
        for i in 0..<output.count {
            total += Double(output.storage[i]) * Double(weights.storage[i])
        }
        return total
    }

    /// Numerical gradients of `function` with respect to every input (or at most
    /// `maximumSamples` evenly spaced samples per input; unchecked samples stay 0), in Float64,
    /// laid out like each input's storage.
    public static func numericalGradients(inputs: [Tensor], epsilon: Float = 1e-2,
                                          maximumSamples: Int? = nil,
                                          function: ([Tensor]) -> Double) -> [[Double]] {
        var working = inputs
        var result = inputs.map { [Double](repeating: 0, count: $0.count) }
        for k in 0..<inputs.count {
            for i in sampleIndices(count: inputs[k].count, maximum: maximumSamples) {
                result[k][i] = centralDifference(&working, input: k, sample: i,
                                                 epsilon: epsilon, function: function)
            }
        }
        return result
    }

    /// Compares `analytic` gradients (one per input, same shapes) with central differences
    /// of `function` and returns the worst error (`assertGradients` judges it).
    public static func check(inputs: [Tensor], function: ([Tensor]) -> Double,
                             analytic: [Tensor], epsilon: Float = 1e-2,
                             maximumSamples: Int? = nil) -> Result {
        checkShapes(inputs: inputs, analytic: analytic)
        var working = inputs
        var result = Result()
        for k in 0..<inputs.count {
            for i in sampleIndices(count: inputs[k].count, maximum: maximumSamples) {
                let numerical = centralDifference(&working, input: k, sample: i,
                                                  epsilon: epsilon, function: function)
                result.record(analytic: Double(analytic[k].storage[i]), numerical: numerical,
                              input: k, sample: i)
            }
        }
        return result
    }

    /// `check` for a function that is piecewise linear in its inputs (ReLU and max-pool
    /// networks in evaluation mode), where a step that crosses a kink measures a mixture of two
    /// slopes. For each sample the step starts at `epsilon` and is divided by 4, down to
    /// `minimumEpsilon`, until the two one-sided differences agree within `linearity`
    /// (relative, as `error`): no kink lies within the step, or one whose slope change moves the
    /// central difference by less than `linearity` / 2. That central difference is compared
    /// with the analytic gradient. Every sample counts; one without a kink-free step keeps the
    /// central difference at the smallest step, and is counted in `kinked`.
    public static func checkPiecewiseLinear(inputs: [Tensor], function: ([Tensor]) -> Double,
                                            analytic: [Tensor], epsilon: Float = 1e-2,
                                            minimumEpsilon: Float = 1e-4,
                                            linearity: Double = 1e-3,
                                            maximumSamples: Int? = nil) -> Result {
        checkShapes(inputs: inputs, analytic: analytic)
        var working = inputs
        var result = Result()
        let center = function(inputs)
        for k in 0..<inputs.count {
            for i in sampleIndices(count: inputs[k].count, maximum: maximumSamples) {
                let original = working[k].storage[i]
                var step = epsilon
                var numerical = Double.nan
                var linear = false
                while true {
                    working[k].storage[i] = original + step
                    let plus = function(working)
                    working[k].storage[i] = original - step
                    let minus = function(working)
                    working[k].storage[i] = original
                    // The steps actually taken in Float32.
                    let up = Double(original + step) - Double(original)
                    let down = Double(original) - Double(original - step)
                    numerical = (plus - minus) / (up + down)
                    linear = error(analytic: (plus - center) / up,
                                   numerical: (center - minus) / down) <= linearity
                    if linear || step / 4 < minimumEpsilon { break }
                    step /= 4
                }
                if step < epsilon { result.shrunkSteps += 1 }
                if !linear { result.kinked += 1 }
                result.record(analytic: Double(analytic[k].storage[i]), numerical: numerical,
                              input: k, sample: i)
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
                                       function: ([Tensor]) -> Double) -> Result {
        let result = check(inputs: inputs, function: function, analytic: analytic,
                           epsilon: epsilon, maximumSamples: maximumSamples)
        if !(result.worstError <= tolerance) {
            XCTFail("gradient check failed (tolerance \(tolerance)): \(result). \(message())",
                    file: file, line: line)
        }
        return result
    }

    /// (f(θ + ε) − f(θ − ε)) / 2ε for one sample, divided by the step actually taken in Float32;
    /// `working` is restored.
    static func centralDifference(_ working: inout [Tensor], input k: Int, sample i: Int,
                                  epsilon: Float, function: ([Tensor]) -> Double) -> Double {
        let original = working[k].storage[i]
        working[k].storage[i] = original + epsilon
        let plus = function(working)
        working[k].storage[i] = original - epsilon
        let minus = function(working)
        working[k].storage[i] = original
        let step = Double(original + epsilon) - Double(original - epsilon)
        return (plus - minus) / step
    }

    static func checkShapes(inputs: [Tensor], analytic: [Tensor]) {
        precondition(inputs.count == analytic.count,
                     "\(inputs.count) inputs but \(analytic.count) analytic gradients")
        for (input, gradient) in zip(inputs, analytic) {
            precondition(input.shape == gradient.shape,
                         "analytic gradient \(gradient.shape) differs from input \(input.shape)")
        }
    }

    /// Evenly spaced sample indices, all of them when `maximum` is nil or ≥ count.
    static func sampleIndices(count: Int, maximum: Int?) -> [Int] {
        guard let maximum, maximum < count else { return Array(0..<count) }
        return (0..<maximum).map { $0 * count / maximum }
    }
}
