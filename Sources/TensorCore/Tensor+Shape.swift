/// Axis permutation, slicing and concatenation. These copy samples into a new contiguous tensor.
extension Tensor {
    /// The tensor with its axes reordered: result axis `i` is input axis `axes[i]`
    /// (as `numpy.transpose` / `torch.permute`).
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(axes.count == rank && Set(axes) == Set(0..<rank),
                     "permuted: \(axes) is not a permutation of the \(rank) axes of \(shape)")
        let newShape = axes.map { shape[$0] }
        let inputStrides = strides
        let gatherStrides = axes.map { inputStrides[$0] }  // input stride of each output axis
        var result = [Float](repeating: 0, count: count)
        guard count > 0 else { return Tensor(shape: newShape, storage: result) }
        var index = [Int](repeating: 0, count: rank)
        storage.withUnsafeBufferPointer { x in
            result.withUnsafeMutableBufferPointer { r in
                var source = 0
                for flat in 0..<r.count {
                    r[flat] = x[source]
                    // Increment the multi-index like an odometer, keeping `source` in step.
                    var axis = rank - 1
                    while axis >= 0 {
                        index[axis] += 1
                        source += gatherStrides[axis]
                        if index[axis] < newShape[axis] { break }
                        source -= gatherStrides[axis] * newShape[axis]
                        index[axis] = 0
                        axis -= 1
                    }
                }
            }
        }
        return Tensor(shape: newShape, storage: result)
    }

    /// The sub-tensor with indices `range` along `axis` (all indices of other axes).
    public func slice(axis: Int, range: Range<Int>) -> Tensor {
        let (outer, extent, inner) = split(around: axis)
        precondition(range.lowerBound >= 0 && range.upperBound <= extent,
                     "slice: range \(range) outside 0..<\(extent) on axis \(axis) of \(shape)")
        var newShape = shape
        newShape[axis] = range.count
        var result = [Float]()
        result.reserveCapacity(outer * range.count * inner)
        for o in 0..<outer {
            let start = (o * extent + range.lowerBound) * inner
            result.append(contentsOf: storage[start..<(start + range.count * inner)])
        }
        return Tensor(shape: newShape, storage: result)
    }

    /// Joins tensors along `axis`; all other extents must agree.
    public static func concatenate(_ tensors: [Tensor], axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concatenate needs at least one tensor")
        let first = tensors[0]
        precondition(axis >= 0 && axis < first.rank, "concatenate: axis \(axis) out of range")
        for t in tensors {
            let matches = t.rank == first.rank
                && (0..<first.rank).allSatisfy { $0 == axis || t.shape[$0] == first.shape[$0] }
            precondition(matches, "concatenate: shape \(t.shape) does not match \(first.shape) "
                         + "off axis \(axis)")
        }
        let outer = first.shape[..<axis].reduce(1, *)
        let inner = first.shape[(axis + 1)...].reduce(1, *)
        var newShape = first.shape
        newShape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
        var result = [Float]()
        result.reserveCapacity(newShape.reduce(1, *))
        for o in 0..<outer {
            for t in tensors {
                let chunk = t.shape[axis] * inner
                result.append(contentsOf: t.storage[(o * chunk)..<((o + 1) * chunk)])
            }
        }
        return Tensor(shape: newShape, storage: result)
    }

    /// Splits along `axis` into pieces of the given extents (the inverse of `concatenate`).
    public func split(axis: Int, sizes: [Int]) -> [Tensor] {
        precondition(sizes.reduce(0, +) == shape[axis],
                     "split: sizes \(sizes) do not add up to extent \(shape[axis]) of axis \(axis)")
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return slice(axis: axis, range: start..<(start + size))
        }
    }
}
