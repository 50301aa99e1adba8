import TensorCore

/// Max pooling over k×k windows, stride s (default k): (…, H, W) → (…, ⌊(H − k)/s⌋ + 1, …).
public final class MaxPool2d: Module {
    public let kernelSize: Int
    public let stride: Int

    public init(kernelSize: Int, stride: Int? = nil) {
        precondition(kernelSize > 0, "MaxPool2d kernel size must be positive")
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
    }

    override public func forward(_ input: Variable) -> Variable {
        Functional.maxPool2d(input, kernelSize: kernelSize, stride: stride)
    }
}

/// Average pooling over k×k windows, stride s (default k): (…, H, W) → (…, Ho, Wo).
public final class AvgPool2d: Module {
    public let kernelSize: Int
    public let stride: Int

    public init(kernelSize: Int, stride: Int? = nil) {
        precondition(kernelSize > 0, "AvgPool2d kernel size must be positive")
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
    }

    override public func forward(_ input: Variable) -> Variable {
        Functional.avgPool2d(input, kernelSize: kernelSize, stride: stride)
    }
}

/// Mean over the last two axes: (N, C, H, W) → (N, C) (and (N, C, G, H, W) → (N, C, G)).
public final class GlobalAvgPool: Module {
    override public init() {}
    override public func forward(_ input: Variable) -> Variable {
        Functional.globalAvgPool(input)
    }
}

/// Maximum over the last two axes: (N, C, H, W) → (N, C).
public final class GlobalMaxPool: Module {
    override public init() {}
    override public func forward(_ input: Variable) -> Variable {
        Functional.globalMaxPool(input)
    }
}

/// Upsampling by an integer factor: (…, H, W) → (…, f·H, f·W), nearest or bilinear.
public final class Upsample: Module {
    /// Interpolation rule.
    public enum Mode: Sendable { case nearest, bilinear }

    public let factor: Int
    public let mode: Mode

    public init(factor: Int, mode: Mode = .nearest) {
        precondition(factor >= 1, "Upsample factor must be >= 1, got \(factor)")
        self.factor = factor
        self.mode = mode
    }

    override public func forward(_ input: Variable) -> Variable {
        switch mode {
        case .nearest: return Functional.upsampleNearest(input, factor: factor)
        case .bilinear: return Functional.upsampleBilinear(input, factor: factor)
        }
    }
}
