/// A dense, contiguous, row-major array of `Float` with a shape.
///
/// Layouts used across EquiScan:
/// - images: `[N, C, H, W]` (NCHW), the layout of PyTorch and of the conv kernels here;
/// - regular group feature maps: `[N, C, G, H, W]`, field-major: the |G| channels of one field
///   are adjacent, so a group feature map reshaped to `[N, C·G, H, W]` is an ordinary image
///   tensor whose channel `c·G + g` holds field `c` in pose `g` (the escnn regular-field order);
/// - vectors and matrices: `[N, F]`, `[rows, cols]`.
///
/// `Tensor` is a value type: copies share storage until one of them is written (copy on write
/// through `Array`). Kernels take and return tensors and never alias their inputs.
public struct Tensor: Equatable, Sendable {
    /// Extent of each axis, outermost first.
    public private(set) var shape: [Int]
    /// Samples in row-major order; `storage.count == shape.reduce(1, *)`.
    public var storage: [Float]

    /// A tensor with the given shape and samples (row-major). The counts must agree.
    public init(shape: [Int], storage: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor shape \(shape) has a negative extent")
        precondition(shape.reduce(1, *) == storage.count,
                     "Tensor shape \(shape) needs \(shape.reduce(1, *)) samples, "
                     + "got \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    /// A tensor of the given shape with every sample equal to `value` (default 0).
    public init(zeros shape: [Int], value: Float = 0) {
        self.init(shape: shape, storage: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// A tensor of the given shape whose samples are produced by `body(flatIndex)`.
    public init(shape: [Int], generator body: (Int) -> Float) {
        let count = shape.reduce(1, *)
        self.init(shape: shape, storage: (0..<count).map(body))
    }

    /// A rank-0 tensor holding one value.
    public init(scalar: Float) { self.init(shape: [], storage: [scalar]) }

    /// Number of samples.
    @inlinable public var count: Int { storage.count }
    /// Number of axes.
    @inlinable public var rank: Int { shape.count }

    /// Row-major strides, in samples.
    public var strides: [Int] {
        var result = [Int](repeating: 1, count: shape.count)
        var step = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            result[axis] = step
            step *= shape[axis]
        }
        return result
    }

    /// The sample at a multi-index (bounds checked; for tests and slow paths).
    public subscript(_ index: Int...) -> Float {
        get { storage[flatIndex(index)] }
        set { storage[flatIndex(index)] = newValue }
    }

    /// Flat position of a multi-index.
    public func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count,
                     "index \(index) has \(index.count) axes, tensor has \(shape.count)")
        var flat = 0
        for (axis, i) in index.enumerated() {
            precondition(i >= 0 && i < shape[axis], "index \(index) out of range for \(shape)")
            flat = flat * shape[axis] + i
        }
        return flat
    }

    /// The same samples under a new shape with the same count. One extent may be -1.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let hole = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != hole }.map(\.element)
                .reduce(1, *)
            precondition(known > 0 && count % known == 0,
                         "cannot reshape \(shape) to \(newShape)")
            resolved[hole] = count / known
        }
        return Tensor(shape: resolved, storage: storage)
    }
}
