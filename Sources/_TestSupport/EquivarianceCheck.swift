import TensorCore
import XCTest

/// The outcome of checking f(g·x) = g·f(x) for a list of group elements.
public struct EquivarianceReport: CustomStringConvertible {
    /// Per element (by its description): max |f(g·x) − g·f(x)| / max |g·f(x)|.
    public let relativeErrors: [(element: String, error: Double)]

    /// The largest relative error over all elements.
    public var worstError: Double { relativeErrors.map(\.error).max() ?? 0 }

    /// The element with the largest error.
    public var worstElement: String {
        relativeErrors.max { $0.error < $1.error }?.element ?? "-"
    }

    /// "worst 3.1e-07 at R^1 F over 8 elements".
    public var description: String {
        "worst relative error \(worstError) at \(worstElement) over \(relativeErrors.count) "
            + "elements"
    }
}

/// Equivariance checks for layers and networks, in the style of escnn's `check_equivariance`.
///
/// The check compares, for every element g, `function(inputAction(x, g))` with
/// `outputAction(function(x), g)`. The error is relative to the largest magnitude of the
/// expected output (an ∞-norm ratio), so a tolerance of 1e-4 means "equal to four digits of
/// the output's scale" and is independent of how large activations are.
public enum EquivarianceCheck {
    /// Measures the relative error for every element (no assertion).
    public static func measure<Element: CustomStringConvertible>(
        elements: [Element], input: Tensor, function: (Tensor) -> Tensor,
        inputAction: (Tensor, Element) -> Tensor, outputAction: (Tensor, Element) -> Tensor
    ) -> EquivarianceReport {
        let output = function(input)
        var errors: [(String, Double)] = []
        for g in elements {
            let actual = function(inputAction(input, g))
            let expected = outputAction(output, g)
            errors.append((g.description, relativeError(actual, expected)))
        }
        return EquivarianceReport(relativeErrors: errors)
    }

    /// Asserts f(g·x) = g·f(x) within `tolerance` (relative, default 1e-4) for every element,
    /// printing and returning the report so the worst error is visible in the test log.
    @discardableResult
    public static func assertEquivariant<Element: CustomStringConvertible>(
        _ name: String, elements: [Element], input: Tensor, tolerance: Double = 1e-4,
        function: (Tensor) -> Tensor, inputAction: (Tensor, Element) -> Tensor,
        outputAction: (Tensor, Element) -> Tensor, file: StaticString = #filePath,
        line: UInt = #line
    ) -> EquivarianceReport {
        let report = measure(elements: elements, input: input, function: function,
                             inputAction: inputAction, outputAction: outputAction)
        print("equivariance \(name): \(report)")
        XCTAssertLessThanOrEqual(report.worstError, tolerance,
                                 "\(name) is not equivariant: \(report) (tolerance \(tolerance))",
                                 file: file, line: line)
        return report
    }

    /// Asserts f(g·x) = f(x) within `tolerance` for every element (invariant outputs).
    @discardableResult
    public static func assertInvariant<Element: CustomStringConvertible>(
        _ name: String, elements: [Element], input: Tensor, tolerance: Double = 1e-4,
        function: (Tensor) -> Tensor, inputAction: (Tensor, Element) -> Tensor,
        file: StaticString = #filePath, line: UInt = #line
    ) -> EquivarianceReport {
        assertEquivariant(name, elements: elements, input: input, tolerance: tolerance,
                          function: function, inputAction: inputAction,
                          outputAction: { output, _ in output }, file: file, line: line)
    }

    /// max |a − b| / max(max |b|, 1e-12); infinite when the shapes differ.
    public static func relativeError(_ actual: Tensor, _ expected: Tensor) -> Double {
        guard actual.shape == expected.shape else { return .infinity }
        var worst: Double = 0, scale: Double = 0
        for (a, b) in zip(actual.storage, expected.storage) {
            worst = Swift.max(worst, Double(abs(a - b)))
            scale = Swift.max(scale, Double(abs(b)))
        }
        return worst / Swift.max(scale, 1e-12)
    }
}
