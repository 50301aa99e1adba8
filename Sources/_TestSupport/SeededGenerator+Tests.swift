import TensorCore

/// Signed test data from the one seeded generator of the package.
extension SeededGenerator {
    /// A tensor of `shape` with samples uniform on [−1, 1), drawn in row-major order.
    public mutating func signedTensor(_ shape: [Int]) -> Tensor {
        Tensor.uniform(shape: shape, low: -1, high: 1, generator: &self)
    }

    /// One sample uniform on [−1, 1).
    public mutating func signedUniform() -> Float {
        2 * nextFloat() - 1
    }
}
