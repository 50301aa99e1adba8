/// Seeded random initialisation. Samples are drawn in row-major order from `generator`, so a
/// seed fixes every sample bit for bit, independent of thread count.
extension Tensor {
    /// Samples uniform on [low, high).
    public static func uniform(shape: [Int], low: Float = 0, high: Float = 1,
                               generator: inout SeededGenerator) -> Tensor {
        precondition(high >= low, "uniform: high \(high) must not be below low \(low)")
        let count = shape.reduce(1, *)
        var storage = [Float](repeating: 0, count: count)
        for i in 0..<count { storage[i] = low + (high - low) * generator.nextFloat() }
        return Tensor(shape: shape, storage: storage)
    }

    /// Samples from the normal distribution N(mean, std²).
    public static func gaussian(shape: [Int], mean: Float = 0, std: Float = 1,
                                generator: inout SeededGenerator) -> Tensor {
        precondition(std >= 0, "gaussian: std \(std) must be non-negative")
        let count = shape.reduce(1, *)
        var storage = [Float](repeating: 0, count: count)
        for i in 0..<count { storage[i] = mean + std * generator.nextGaussian() }
        return Tensor(shape: shape, storage: storage)
    }
}
