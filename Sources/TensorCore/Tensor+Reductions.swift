/// Reductions. Whole-tensor sums accumulate in Double, in index order, so results do not
/// depend on thread count and lose little precision on large tensors.
extension Tensor {
    /// Sum of all samples (Double accumulation).
    public func sum() -> Float {
        var total = 0.0
        storage.withUnsafeBufferPointer { p in for v in p { total += Double(v) } }
        return Float(total)
    }

    /// Mean of all samples; 0 for an empty tensor.
    public func mean() -> Float {
        guard count > 0 else { return 0 }
        var total = 0.0
        storage.withUnsafeBufferPointer { p in for v in p { total += Double(v) } }
        return Float(total / Double(count))
    }

    /// Σ xᵢ² (Double accumulation).
    public var squaredNorm: Float {
        var total = 0.0
        storage.withUnsafeBufferPointer { p in for v in p { total += Double(v) * Double(v) } }
        return Float(total)
    }

    /// Largest sample. The tensor must not be empty.
    public func max() -> Float {
        precondition(count > 0, "max() of an empty tensor")
        return storage.withUnsafeBufferPointer { p in
            p.dropFirst().reduce(p[0]) { Swift.max($0, $1) }
        }
    }

    /// Smallest sample. The tensor must not be empty.
    public func min() -> Float {
        precondition(count > 0, "min() of an empty tensor")
        return storage.withUnsafeBufferPointer { p in
            p.dropFirst().reduce(p[0]) { Swift.min($0, $1) }
        }
    }

    /// Splits the shape around `axis` into (outer, extent, inner) counts.
    func split(around axis: Int) -> (outer: Int, extent: Int, inner: Int) {
        precondition(axis >= 0 && axis < rank, "axis \(axis) out of range for shape \(shape)")
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        return (outer, shape[axis], inner)
    }

    /// Shape with `axis` removed (or set to 1 when `keepingAxis`).
    func reducedShape(_ axis: Int, keepingAxis: Bool) -> [Int] {
        var result = shape
        if keepingAxis { result[axis] = 1 } else { result.remove(at: axis) }
        return result
    }

    /// Sums over `axis`; the axis is removed from the shape unless `keepingAxis`.
    public func sum(alongAxis axis: Int, keepingAxis: Bool = false) -> Tensor {
        let (outer, extent, inner) = split(around: axis)
        var result = [Float](repeating: 0, count: outer * inner)  // (outer, inner)
        storage.withUnsafeBufferPointer { x in
            result.withUnsafeMutableBufferPointer { r in
                for o in 0..<outer {
                    for e in 0..<extent {
                        let base = (o * extent + e) * inner
                        for i in 0..<inner { r[o * inner + i] += x[base + i] }
                    }
                }
            }
        }
        return Tensor(shape: reducedShape(axis, keepingAxis: keepingAxis), storage: result)
    }

    /// Means over `axis`; the axis is removed from the shape unless `keepingAxis`.
    public func mean(alongAxis axis: Int, keepingAxis: Bool = false) -> Tensor {
        let extent = shape[axis]
        precondition(extent > 0, "mean over empty axis \(axis) of \(shape)")
        return sum(alongAxis: axis, keepingAxis: keepingAxis).scaled(by: 1 / Float(extent))
    }

    /// Maxima over `axis`; the axis is removed from the shape unless `keepingAxis`.
    public func max(alongAxis axis: Int, keepingAxis: Bool = false) -> Tensor {
        let (outer, extent, inner) = split(around: axis)
        precondition(extent > 0, "max over empty axis \(axis) of \(shape)")
        var result = [Float](repeating: -.infinity, count: outer * inner)  // (outer, inner)
        storage.withUnsafeBufferPointer { x in
            for o in 0..<outer {
                for e in 0..<extent {
                    for i in 0..<inner {
                        result[o * inner + i] = Swift.max(result[o * inner + i],
                                                          x[(o * extent + e) * inner + i])
                    }
                }
            }
        }
        return Tensor(shape: reducedShape(axis, keepingAxis: keepingAxis), storage: result)
    }

    /// Index of the largest sample along `axis` (first one on ties), for every position of the
    /// other axes in row-major order; the result has `count / shape[axis]` entries.
    public func argmax(alongAxis axis: Int) -> [Int] {
        let (outer, extent, inner) = split(around: axis)
        precondition(extent > 0, "argmax over empty axis \(axis) of \(shape)")
        var result = [Int](repeating: 0, count: outer * inner)
        storage.withUnsafeBufferPointer { x in
            for o in 0..<outer {
                for i in 0..<inner {
                    var best = x[o * extent * inner + i]
                    var bestIndex = 0
                    for e in 1..<Swift.max(extent, 1) where x[(o * extent + e) * inner + i] > best {
                        best = x[(o * extent + e) * inner + i]
                        bestIndex = e
                    }
                    result[o * inner + i] = bestIndex
                }
            }
        }
        return result
    }
}
