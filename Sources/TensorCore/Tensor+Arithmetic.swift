/// Elementwise arithmetic on tensors of equal shape and with scalars.
///
/// All operations return new tensors (`Tensor` is a value type); the `…InPlace` and compound
/// assignment forms write into `self` without allocating when its storage is uniquely held.
/// No broadcasting beyond tensor ⊙ scalar: shapes must match exactly, so a shape bug fails at
/// the call instead of silently broadcasting.
extension Tensor {
    /// Adds `other` sample by sample into `self`. Shapes must match.
    public mutating func addInPlace(_ other: Tensor) {
        precondition(shape == other.shape, "addInPlace: shapes \(shape) and \(other.shape) differ")
        storage.withUnsafeMutableBufferPointer { dst in
            other.storage.withUnsafeBufferPointer { src in
                for i in 0..<dst.count { dst[i] += src[i] }
            }
        }
    }

    /// Adds `scale · other` into `self` (axpy). Shapes must match.
    public mutating func addInPlace(_ other: Tensor, scaledBy scale: Float) {
        precondition(shape == other.shape, "addInPlace: shapes \(shape) and \(other.shape) differ")
        storage.withUnsafeMutableBufferPointer { dst in
            other.storage.withUnsafeBufferPointer { src in
                for i in 0..<dst.count { dst[i] += scale * src[i] }
            }
        }
    }

    /// Multiplies every sample by `factor` in place.
    public mutating func scaleInPlace(by factor: Float) {
        storage.withUnsafeMutableBufferPointer { dst in
            for i in 0..<dst.count { dst[i] *= factor }
        }
    }

    /// A tensor of the same shape with `transform` applied to every sample.
    @inlinable
    public func map(_ transform: (Float) -> Float) -> Tensor {
        Tensor(shape: shape, storage: storage.map(transform))
    }

    /// Combines two tensors of equal shape sample by sample.
    @inlinable
    public func zipMap(_ other: Tensor, _ combine: (Float, Float) -> Float) -> Tensor {
        precondition(shape == other.shape, "zipMap: shapes \(shape) and \(other.shape) differ")
        var result = [Float](repeating: 0, count: count)
        result.withUnsafeMutableBufferPointer { r in
            storage.withUnsafeBufferPointer { a in
                other.storage.withUnsafeBufferPointer { b in
                    for i in 0..<r.count { r[i] = combine(a[i], b[i]) }
                }
            }
        }
        return Tensor(shape: shape, storage: result)
    }

    /// `self · factor`.
    public func scaled(by factor: Float) -> Tensor { map { $0 * factor } }

    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.zipMap(rhs, +) }
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.zipMap(rhs, -) }
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.zipMap(rhs, *) }
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.zipMap(rhs, /) }

    public static func + (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 + rhs } }
    public static func - (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 - rhs } }
    public static func * (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 * rhs } }
    public static func / (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 / rhs } }
    public static func + (lhs: Float, rhs: Tensor) -> Tensor { rhs.map { lhs + $0 } }
    public static func - (lhs: Float, rhs: Tensor) -> Tensor { rhs.map { lhs - $0 } }
    public static func * (lhs: Float, rhs: Tensor) -> Tensor { rhs.map { lhs * $0 } }
    public static func / (lhs: Float, rhs: Tensor) -> Tensor { rhs.map { lhs / $0 } }
    public static prefix func - (operand: Tensor) -> Tensor { operand.map { -$0 } }

    public static func += (lhs: inout Tensor, rhs: Tensor) { lhs.addInPlace(rhs) }
    public static func -= (lhs: inout Tensor, rhs: Tensor) { lhs.addInPlace(rhs, scaledBy: -1) }
    public static func *= (lhs: inout Tensor, rhs: Float) { lhs.scaleInPlace(by: rhs) }

    /// A tensor of the given shape filled with ones.
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(zeros: shape, value: 1) }

    /// A tensor of the given shape filled with zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(zeros: shape) }
}
