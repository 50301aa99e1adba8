import TensorCore

/// Differentiable operations on `Variable`s: each runs a TensorCore kernel forward and
/// records its backward twin on the gradient tape (`Variable.record`), so any graph built
/// from them (skip connections included) backpropagates with `loss.backward()`.
///
/// Layouts are those of the kernels: images (N, C, H, W), group feature maps
/// (N, C, G, H, W), features (N, F). Shape mistakes are programmer errors (preconditions in
/// the kernels). Losses return a rank-0 `Variable` ready for `backward()`.
///
/// Elementwise and shape operations live in this file; kernels by concern in
/// `Functional+*.swift`.
public enum Functional {
    // MARK: - Elementwise

    /// a + b (same shapes). The skip connection of a residual block.
    public static func add(_ a: Variable, _ b: Variable) -> Variable {
        precondition(a.shape == b.shape, "add: shapes \(a.shape) and \(b.shape) differ")
        return Variable.record(a.value + b.value, parents: [a, b]) { g in [g, g] }
    }

    /// a − b (same shapes).
    public static func subtract(_ a: Variable, _ b: Variable) -> Variable {
        precondition(a.shape == b.shape, "subtract: shapes \(a.shape) and \(b.shape) differ")
        return Variable.record(a.value - b.value, parents: [a, b]) { g in [g, -g] }
    }

    /// a ⊙ b, sample by sample (same shapes).
    public static func multiply(_ a: Variable, _ b: Variable) -> Variable {
        precondition(a.shape == b.shape, "multiply: shapes \(a.shape) and \(b.shape) differ")
        let x = a.value, y = b.value
        let needA = a.requiresGrad, needB = b.requiresGrad
        return Variable.record(x * y, parents: [a, b]) { g in
            [needA ? g * y : nil, needB ? g * x : nil]
        }
    }

    /// factor · x.
    public static func scale(_ x: Variable, by factor: Float) -> Variable {
        Variable.record(x.value.scaled(by: factor), parents: [x]) { g in [g.scaled(by: factor)] }
    }

    // MARK: - Shape

    /// The same samples under a new shape (one extent may be −1).
    public static func reshape(_ x: Variable, _ shape: [Int]) -> Variable {
        let inputShape = x.shape
        return Variable.record(x.value.reshaped(shape), parents: [x]) { g in
            [g.reshaped(inputShape)]
        }
    }

    /// (N, …) → (N, product of the rest): the input of a `Linear` after convolutions.
    public static func flatten(_ x: Variable) -> Variable {
        precondition(x.value.rank >= 1, "flatten needs a batch axis, got shape \(x.shape)")
        return reshape(x, [x.shape[0], -1])
    }

    /// Axes reordered: output axis i is input axis `axes[i]`.
    public static func permute(_ x: Variable, _ axes: [Int]) -> Variable {
        var inverse = [Int](repeating: 0, count: axes.count)
        for (position, axis) in axes.enumerated() { inverse[axis] = position }
        return Variable.record(x.value.permuted(axes), parents: [x]) { g in
            [g.permuted(inverse)]
        }
    }

    /// Tensors joined along `axis` (default 1, the channels of NCHW: U-Net skip joins).
    public static func concatenate(_ parts: [Variable], axis: Int = 1) -> Variable {
        precondition(!parts.isEmpty, "concatenate needs at least one tensor")
        let sizes = parts.map { $0.shape[axis] }
        let value = Tensor.concatenate(parts.map(\.value), axis: axis)
        return Variable.record(value, parents: parts) { g in
            g.split(axis: axis, sizes: sizes).map { Optional($0) }
        }
    }

    /// The samples with index in `range` along `axis`.
    public static func slice(_ x: Variable, axis: Int, range: Range<Int>) -> Variable {
        let shape = x.shape
        return Variable.record(x.value.slice(axis: axis, range: range), parents: [x]) { g in
            var pieces: [Tensor] = []
            var before = shape, after = shape
            before[axis] = range.lowerBound
            after[axis] = shape[axis] - range.upperBound
            if range.lowerBound > 0 { pieces.append(Tensor(zeros: before)) }
            pieces.append(g)
            if after[axis] > 0 { pieces.append(Tensor(zeros: after)) }
            return [pieces.count == 1 ? g : Tensor.concatenate(pieces, axis: axis)]
        }
    }

    // MARK: - Reductions

    /// Σ of all samples, as a rank-0 variable.
    public static func sum(_ x: Variable) -> Variable {
        let shape = x.shape
        return Variable.record(Tensor(scalar: x.value.sum()), parents: [x]) { g in
            [Tensor(zeros: shape, value: g.storage[0])]
        }
    }

    /// Mean of all samples, as a rank-0 variable.
    public static func mean(_ x: Variable) -> Variable {
        let shape = x.shape
        let count = Float(max(x.value.count, 1))
        return Variable.record(Tensor(scalar: x.value.mean()), parents: [x]) { g in
            [Tensor(zeros: shape, value: g.storage[0] / count)]
        }
    }
}

extension Variable {
    /// `Functional.add`.
    public static func + (lhs: Variable, rhs: Variable) -> Variable { Functional.add(lhs, rhs) }
    /// `Functional.subtract`.
    public static func - (lhs: Variable, rhs: Variable) -> Variable {
        Functional.subtract(lhs, rhs)
    }
    /// `Functional.multiply` (sample by sample).
    public static func * (lhs: Variable, rhs: Variable) -> Variable {
        Functional.multiply(lhs, rhs)
    }
    /// `Functional.scale`.
    public static func * (lhs: Float, rhs: Variable) -> Variable { Functional.scale(rhs, by: lhs) }
}
