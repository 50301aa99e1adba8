import TensorCore

/// Seeded random tensors for this test target (xorshift; deterministic across runs).
struct TestRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }

    /// Uniform in [−1, 1).
    mutating func uniform() -> Float {
        Float(next() >> 40) / Float(1 << 24) * 2 - 1
    }

    mutating func tensor(_ shape: [Int]) -> Tensor {
        var values = [Float](repeating: 0, count: shape.reduce(1, *))
        for i in values.indices { values[i] = uniform() }
        return Tensor(shape: shape, storage: values)
    }
}

/// numpy's `rot90` on an (H, W) plane written out independently of the library:
/// `out[i][j] = in[j][W − 1 − i]`, shape (W, H).
func numpyRot90(_ plane: Tensor) -> Tensor {
    let h = plane.shape[0], w = plane.shape[1]
    return Tensor(shape: [w, h]) { p in plane[p % h, w - 1 - p / h] }
}

/// numpy's `fliplr`: `out[i][j] = in[i][W − 1 − j]`.
func numpyFlipW(_ plane: Tensor) -> Tensor {
    let h = plane.shape[0], w = plane.shape[1]
    return Tensor(shape: [h, w]) { p in plane[p / w, w - 1 - p % w] }
}
