import TensorCore

/// Updates a module's trainable parameters from their accumulated gradients.
///
/// Usage, one training step:
/// ```swift
/// let optimizer = Adam(module: model, learningRate: 1e-3)
/// optimizer.zeroGradients()
/// let loss = Functional.crossEntropy(logits: model(x), targets: labels)
/// loss.backward()
/// clipGradientNorm(optimizer.parameters, maximumNorm: 5)
/// optimizer.learningRate = schedule.learningRate(atStep: optimizer.stepCount)
/// optimizer.step()
/// ```
/// Parameters whose gradient is nil are left alone in a step. `step()` ends by calling
/// `Module.invalidateCaches()` on the module it was built from, so layers that cache values
/// derived from their weights see the update.
///
/// State (for resuming training) is a `[String: Tensor]` that `SafeTensors.write` can store:
/// `"step"` holds the step count as a one-element tensor (exact up to 2^24 steps), and each
/// per-parameter buffer is stored as `"<buffer>.<parameter name>"`.
public protocol Optimizer: AnyObject {
    /// The learning rate of the next step; schedules set it before each `step()`.
    var learningRate: Float { get set }
    /// Number of steps taken so far.
    var stepCount: Int { get }
    /// The optimised parameters in module traversal order.
    var parameters: [Variable] { get }
    /// Applies one update to every parameter that has a gradient.
    func step()
    /// Saves the optimiser state (buffers and step count).
    func stateDictionary() -> [String: Tensor]
    /// Restores state saved by `stateDictionary()`; mismatches throw `StateDictionaryError`.
    func load(stateDictionary: [String: Tensor]) throws
}

extension Optimizer {
    /// Clears the gradients of the optimised parameters.
    public func zeroGradients() {
        for parameter in parameters { parameter.grad = nil }
    }
}

/// What every optimiser keeps: named parameters, per-parameter buffers and the step count.
struct OptimizerState {
    let names: [String]
    let parameters: [Variable]
    /// Names of the buffer kinds, in the order of `buffers` (for example ["m", "v"]).
    let bufferKinds: [String]
    /// `buffers[kind][parameter]`, zero-initialised, shaped like the parameter.
    var buffers: [[Tensor]]
    var stepCount = 0
    weak var module: Module?

    init(named: [(name: String, parameter: Variable)], bufferKinds: [String], module: Module?) {
        let trainable = named.filter { $0.parameter.requiresGrad }
        names = trainable.map(\.name)
        parameters = trainable.map(\.parameter)
        self.bufferKinds = bufferKinds
        buffers = bufferKinds.map { _ in trainable.map { Tensor(zeros: $0.parameter.shape) } }
        self.module = module
    }

    /// Removes buffer `kind` of parameter `index` so it can be mutated without a copy; give it
    /// back with `restore`.
    mutating func take(_ kind: Int, _ index: Int) -> Tensor {
        let tensor = buffers[kind][index]
        buffers[kind][index] = Tensor(zeros: [0])
        return tensor
    }

    mutating func restore(_ tensor: Tensor, _ kind: Int, _ index: Int) {
        buffers[kind][index] = tensor
    }

    /// Ends a step: counts it and lets the module drop caches derived from its weights.
    mutating func finishStep() {
        stepCount += 1
        module?.invalidateCaches()
    }

    func stateDictionary() -> [String: Tensor] {
        var result: [String: Tensor] = ["step": Tensor(shape: [1], storage: [Float(stepCount)])]
        for (kind, tensors) in zip(bufferKinds, buffers) {
            for (name, tensor) in zip(names, tensors) { result["\(kind).\(name)"] = tensor }
        }
        return result
    }

    mutating func load(_ state: [String: Tensor]) throws {
        var expected: [String: [Int]] = ["step": [1]]
        for kind in bufferKinds {
            for (name, parameter) in zip(names, parameters) {
                expected["\(kind).\(name)"] = parameter.shape
            }
        }
        let missing = expected.keys.filter { state[$0] == nil }.sorted()
        let unexpected = state.keys.filter { expected[$0] == nil }.sorted()
        let wrongShapes = expected.keys.sorted().compactMap {
            name -> StateDictionaryError.ShapeMismatch? in
            guard let found = state[name]?.shape, let shape = expected[name], found != shape
            else { return nil }
            return .init(name: name, expected: shape, found: found)
        }
        let step = state["step"]?.storage.first ?? 0
        let invalid = step >= 0 && step.rounded() == step
            ? [] : ["step (\(step) is not a step count)"]
        guard missing.isEmpty, unexpected.isEmpty, wrongShapes.isEmpty, invalid.isEmpty else {
            throw StateDictionaryError(missing: missing, unexpected: unexpected,
                                       wrongShapes: wrongShapes, invalidValues: invalid)
        }
        buffers = bufferKinds.map { kind in names.compactMap { state["\(kind).\($0)"] } }
        stepCount = Int(step)
    }
}
