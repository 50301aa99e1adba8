import TensorCore

/// A node of the gradient tape: a tensor value, its accumulated gradient, and how to send a
/// gradient arriving at it back to the variables it was computed from.
///
/// Operations on variables (see `Variable+Ops.swift` and the layers) call `Variable.record`,
/// which stores a backward closure only when some input needs a gradient and gradient
/// recording is on. `backward()` on a scalar loss visits the graph in reverse topological order,
/// so networks with skip connections (U-Net) need no hand wiring. Gradients accumulate (`+=`)
/// into `grad`; optimisers zero them explicitly (`Module.zeroGradients()`).
public final class Variable {
    /// The forward value.
    public var value: Tensor
    /// The accumulated gradient of the loss with respect to `value`; nil until one arrives.
    public var grad: Tensor?
    /// Whether gradients flow into this variable (parameters, and results computed from them).
    public let requiresGrad: Bool
    /// Inputs of the operation that produced this variable (empty for leaves).
    let parents: [Variable]
    /// Maps the gradient of this variable to one gradient per parent (nil = no contribution).
    let backwardFunction: ((Tensor) -> [Tensor?])?

    /// A leaf: an input (`requiresGrad: false`) or a trainable value (`requiresGrad: true`).
    public init(_ value: Tensor, requiresGrad: Bool = false) {
        self.value = value
        self.requiresGrad = requiresGrad
        self.parents = []
        self.backwardFunction = nil
    }

    private init(value: Tensor, parents: [Variable], backward: @escaping (Tensor) -> [Tensor?]) {
        self.value = value
        self.requiresGrad = true
        self.parents = parents
        self.backwardFunction = backward
    }

    /// Shape of the value.
    public var shape: [Int] { value.shape }

    /// The result of an operation on `parents`. `backward` receives the gradient of the result
    /// and returns one gradient per parent, in order, each shaped like that parent's value (nil
    /// where the parent gets none). Nothing is recorded when no parent requires a gradient or
    /// recording is off, so inference keeps no intermediate tensors alive.
    public static func record(_ value: Tensor, parents: [Variable],
                              backward: @escaping (Tensor) -> [Tensor?]) -> Variable {
        guard GradientTape.isRecording, parents.contains(where: { $0.requiresGrad }) else {
            return Variable(value)
        }
        return Variable(value: value, parents: parents, backward: backward)
    }

    /// Backpropagates from this variable. `seed` defaults to ones (a scalar loss gets 1).
    public func backward(seed: Tensor? = nil) {
        let start = seed ?? Tensor(zeros: value.shape, value: 1)
        precondition(start.shape == value.shape,
                     "backward seed shape \(start.shape) differs from value shape \(value.shape)")
        // Reverse topological order by iterative depth-first search (deep nets would overflow
        // a recursive one).
        var order: [Variable] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Variable, Bool)] = [(self, false)]
        while let (node, expanded) = stack.popLast() {
            if expanded { order.append(node); continue }
            guard visited.insert(ObjectIdentifier(node)).inserted else { continue }
            stack.append((node, true))
            for parent in node.parents where parent.requiresGrad {
                stack.append((parent, false))
            }
        }
        // Gradients of interior nodes live here, not in `grad`, so that only leaves keep them.
        var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): start]
        for node in order.reversed() {
            guard let gradient = pending.removeValue(forKey: ObjectIdentifier(node)) else {
                continue
            }
            guard let backwardFunction = node.backwardFunction else {
                node.accumulate(gradient)
                continue
            }
            let parentGradients = backwardFunction(gradient)
            precondition(parentGradients.count == node.parents.count,
                         "backward returned \(parentGradients.count) gradients for "
                         + "\(node.parents.count) parents")
            for (parent, parentGradient) in zip(node.parents, parentGradients) {
                guard parent.requiresGrad, let parentGradient else { continue }
                precondition(parentGradient.shape == parent.value.shape,
                             "gradient shape \(parentGradient.shape) differs from value shape "
                             + "\(parent.value.shape)")
                let key = ObjectIdentifier(parent)
                if var existing = pending[key] {
                    existing.addInPlace(parentGradient)
                    pending[key] = existing
                } else {
                    pending[key] = parentGradient
                }
            }
        }
    }

    /// Adds `gradient` into `grad`.
    public func accumulate(_ gradient: Tensor) {
        if var existing = grad {
            grad = nil  // keep the buffer uniquely referenced so the add is in place
            existing.addInPlace(gradient)
            grad = existing
        } else {
            grad = gradient
        }
    }
}

/// Whether operations record backward closures. Off inside `GradientTape.withoutRecording`,
/// which inference uses so that no intermediate tensor outlives its use.
///
/// The switch is per thread: when one model serves several threads, one thread's
/// `withoutRecording` must not stop another thread's tape. It does not follow work onto other
/// threads, which suits the kernels' worker threads: they compute tensors, never variables.
public enum GradientTape {
    /// How many `withoutRecording` calls enclose the calling thread's current code.
    private static let suspendedDepth = ThreadLocalCounter()

    /// True unless the calling thread is inside `withoutRecording`.
    public static var isRecording: Bool { suspendedDepth.value == 0 }

    /// Runs `body` with recording off on the calling thread (other threads keep recording).
    public static func withoutRecording<T>(_ body: () throws -> T) rethrows -> T {
        try suspendedDepth.withIncrement(body)
    }
}
