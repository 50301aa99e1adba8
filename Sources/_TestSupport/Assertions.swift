import TensorCore
import XCTest

/// Where two arrays of samples differ most.
public struct Discrepancy: CustomStringConvertible, Sendable {
    /// Largest |actual − expected|.
    public var worstAbsoluteError: Float
    /// Flat index of that largest absolute error.
    public var worstAbsoluteIndex: Int
    /// Largest |actual − expected| / |expected| (∞ where expected is 0 and actual is not).
    public var worstRelativeError: Float
    /// Flat index of that largest relative error.
    public var worstRelativeIndex: Int
    /// Largest |actual − expected| − (absolute + relative·|expected|): > 0 means a failure.
    public var worstExcess: Float
    /// Flat index of the worst excess.
    public var worstExcessIndex: Int
    /// Actual and expected value at `worstExcessIndex`.
    public var actualAtWorst: Float, expectedAtWorst: Float
    /// Samples compared.
    public var count: Int

    public var description: String {
        "worst abs error \(worstAbsoluteError) at [\(worstAbsoluteIndex)], worst rel error "
            + "\(worstRelativeError) at [\(worstRelativeIndex)]; worst against tolerance at "
            + "[\(worstExcessIndex)]: actual \(actualAtWorst), expected \(expectedAtWorst) "
            + "(\(count) samples)"
    }

    /// Compares two sample arrays of equal length against |a − e| ≤ absolute + relative·|e|.
    /// NaN in either array counts as an infinite error.
    public init(actual: [Float], expected: [Float], absolute: Float, relative: Float) {
        precondition(actual.count == expected.count,
                     "compared arrays have \(actual.count) and \(expected.count) samples")
        worstAbsoluteError = 0
        worstAbsoluteIndex = 0
        worstRelativeError = 0
        worstRelativeIndex = 0
        worstExcess = -.infinity
        worstExcessIndex = 0
        actualAtWorst = actual.first ?? 0
        expectedAtWorst = expected.first ?? 0
        count = actual.count
        for i in 0..<actual.count {
            let a = actual[i], e = expected[i]
            var error = abs(a - e)
            if a.isNaN || e.isNaN { error = .infinity }
            if a == e { error = 0 }  // equal infinities
            let relativeError = error == 0 ? 0 : error / abs(e)
            if error > worstAbsoluteError {
                worstAbsoluteError = error
                worstAbsoluteIndex = i
            }
            if relativeError > worstRelativeError {
                worstRelativeError = relativeError
                worstRelativeIndex = i
            }
            let excess = error - (absolute + relative * abs(e))
            if excess > worstExcess {
                worstExcess = excess
                worstExcessIndex = i
                actualAtWorst = a
                expectedAtWorst = e
            }
        }
    }
}

/// Asserts |actual − expected| ≤ tolerance + relativeTolerance·|expected| for every sample,
/// with equal shapes; on failure reports the worst absolute and relative errors and where
/// (flat index and multi-index).
public func assertClose(_ actual: Tensor, _ expected: Tensor, tolerance: Float,
                        relativeTolerance: Float = 0, _ message: @autoclosure () -> String = "",
                        file: StaticString = #filePath, line: UInt = #line) {
    guard actual.shape == expected.shape else {
        XCTFail("shapes differ: \(actual.shape) vs \(expected.shape). \(message())",
                file: file, line: line)
        return
    }
    let report = Discrepancy(actual: actual.storage, expected: expected.storage,
                             absolute: tolerance, relative: relativeTolerance)
    if report.worstExcess > 0 {
        let where_ = actual.count > 0
            ? multiIndex(report.worstExcessIndex, shape: actual.shape) : []
        XCTFail("not close (tolerance \(tolerance) + \(relativeTolerance)·|expected|): \(report); "
                + "worst at multi-index \(where_). \(message())", file: file, line: line)
    }
}

/// Sample-array form of `assertClose`.
public func assertClose(_ actual: [Float], _ expected: [Float], tolerance: Float,
                        relativeTolerance: Float = 0, _ message: @autoclosure () -> String = "",
                        file: StaticString = #filePath, line: UInt = #line) {
    guard actual.count == expected.count else {
        XCTFail("lengths differ: \(actual.count) vs \(expected.count). \(message())",
                file: file, line: line)
        return
    }
    let report = Discrepancy(actual: actual, expected: expected,
                             absolute: tolerance, relative: relativeTolerance)
    if report.worstExcess > 0 {
        XCTFail("not close (tolerance \(tolerance) + \(relativeTolerance)·|expected|): \(report). "
                + message(), file: file, line: line)
    }
}

/// Scalar form of `assertClose`.
public func assertClose(_ actual: Float, _ expected: Float, tolerance: Float,
                        relativeTolerance: Float = 0, _ message: @autoclosure () -> String = "",
                        file: StaticString = #filePath, line: UInt = #line) {
    assertClose([actual], [expected], tolerance: tolerance, relativeTolerance: relativeTolerance,
                message(), file: file, line: line)
}

/// Multi-index of a flat row-major index.
public func multiIndex(_ flat: Int, shape: [Int]) -> [Int] {
    var rest = flat
    var result = [Int](repeating: 0, count: shape.count)
    for axis in stride(from: shape.count - 1, through: 0, by: -1) where shape[axis] > 0 {
        result[axis] = rest % shape[axis]
        rest /= shape[axis]
    }
    return result
}

/// Asserts two tensors are bit-for-bit identical (determinism checks), reporting the first
/// differing index.
public func assertBitwiseEqual(_ actual: Tensor, _ expected: Tensor,
                               _ message: @autoclosure () -> String = "",
                               file: StaticString = #filePath, line: UInt = #line) {
    guard actual.shape == expected.shape else {
        XCTFail("shapes differ: \(actual.shape) vs \(expected.shape). \(message())",
                file: file, line: line)
        return
    }
    if let i = actual.storage.indices
        .first(where: { actual.storage[$0].bitPattern != expected.storage[$0].bitPattern }) {
        XCTFail("first bit difference at [\(i)]: \(actual.storage[i]) vs \(expected.storage[i]). "
                + message(), file: file, line: line)
    }
}
