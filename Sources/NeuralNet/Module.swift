import TensorCore

/// Non-trained state of a module, such as the running mean and variance of batch norm.
///
/// A reference type so that a layer and the parameter traversal of `Module` see the same
/// value; buffers are saved in `stateDictionary()` but never touched by optimisers.
public final class Buffer {
    /// The stored tensor.
    public var value: Tensor

    /// A buffer holding `value`.
    public init(_ value: Tensor) {
        self.value = value
    }

    /// Shape of the value.
    public var shape: [Int] { value.shape }
}

/// The base of every layer and network: owns parameter traversal, train/eval mode and
/// saving/loading of weights; subclasses own only their maths (`forward`).
///
/// Traversal uses reflection (`Mirror`) over the stored properties of the subclass chain, in
/// declaration order, superclass first. These property types are visited:
/// - `Variable`, `Variable?`, `[Variable]`: parameters (trainable when `requiresGrad`);
/// - `Buffer`, `Buffer?`, `[Buffer]`: non-trained state (saved, never optimised);
/// - `Module`, `Module?`, `[Module]` (any array of a `Module` subclass): children.
///
/// Names join property labels and array indices with dots, as in PyTorch:
/// `encoder.0.conv.weight`. Properties whose label starts with an underscore are skipped, so
/// a subclass can keep caches (for instance expanded filters) in `_cache`-style properties
/// without them being saved or optimised. A variable reachable under two names (weight tying)
/// is reported once, under the first name.
///
/// Writing a module:
/// ```swift
/// final class Block: Module {
///     let conv = Conv2d(inputChannels: 3, outputChannels: 8, kernelSize: 3, padding: 1,
///                       generator: &rng)
///     let norm = BatchNorm2d(featureCount: 8)
///     override func forward(_ x: Variable) -> Variable {
///         Functional.relu(norm(conv(x)))
///     }
/// }
/// ```
open class Module {
    /// Whether the module is in training mode (batch statistics, dropout active). New modules
    /// start in training mode, like PyTorch's.
    public private(set) var isTraining: Bool = true

    public init() {}

    /// The computation of this module. Subclasses override it; the base has none.
    open func forward(_ input: Variable) -> Variable {
        preconditionFailure("\(type(of: self)) must override forward(_:)")
    }

    /// Runs `forward`.
    public func callAsFunction(_ input: Variable) -> Variable {
        forward(input)
    }

    /// Called on this module after its parameters or buffers may have changed (after
    /// `load(stateDictionary:)`, an optimiser step through `Optimizer.step()`) and after a
    /// switch between training and evaluation mode. The default does nothing; subclasses
    /// that cache values derived from their parameters drop the caches here. Code that writes
    /// `Variable.value` directly should call `invalidateCaches()` on the root module.
    open func parametersOrModeDidChange() {}

    // MARK: - Traversal

    /// The direct children, with their property names (array elements as `name.index`).
    public func namedChildren() -> [(name: String, module: Module)] {
        var result: [(name: String, module: Module)] = []
        forEachStoredProperty { label, value in
            if let module = value as? Module {
                result.append((label, module))
            } else if let modules = value as? [Module] {
                for (index, module) in modules.enumerated() {
                    result.append(("\(label).\(index)", module))
                }
            }
        }
        return result
    }

    /// This module and every descendant, depth first, with dotted names (the root is "").
    public func namedModules() -> [(name: String, module: Module)] {
        var result: [(name: String, module: Module)] = [("", self)]
        var seen: Set<ObjectIdentifier> = [ObjectIdentifier(self)]
        collectModules(prefix: "", into: &result, seen: &seen)
        return result
    }

    private func collectModules(prefix: String, into result: inout [(name: String, module: Module)],
                                seen: inout Set<ObjectIdentifier>) {
        for (name, child) in namedChildren() {
            guard seen.insert(ObjectIdentifier(child)).inserted else { continue }
            let fullName = prefix.isEmpty ? name : "\(prefix).\(name)"
            result.append((fullName, child))
            child.collectModules(prefix: fullName, into: &result, seen: &seen)
        }
    }

    /// Every parameter (a `Variable` property) of this module and its descendants, with
    /// dotted names, in traversal order; trainable or not.
    public func namedParameters() -> [(name: String, parameter: Variable)] {
        var result: [(name: String, parameter: Variable)] = []
        var seen = Set<ObjectIdentifier>()
        for (prefix, module) in namedModules() {
            module.forEachStoredProperty { label, value in
                var found: [(String, Variable)] = []
                if let variable = value as? Variable {
                    found.append((label, variable))
                } else if let variables = value as? [Variable] {
                    found += variables.enumerated().map { ("\(label).\($0.offset)", $0.element) }
                }
                for (name, variable) in found
                where seen.insert(ObjectIdentifier(variable)).inserted {
                    result.append((prefix.isEmpty ? name : "\(prefix).\(name)", variable))
                }
            }
        }
        return result
    }

    /// The parameters that receive gradients (`requiresGrad`), in traversal order.
    public func parameters() -> [Variable] {
        namedParameters().map(\.parameter).filter(\.requiresGrad)
    }

    /// The trainable parameters with their names.
    public func namedTrainableParameters() -> [(name: String, parameter: Variable)] {
        namedParameters().filter { $0.parameter.requiresGrad }
    }

    /// Every buffer of this module and its descendants, with dotted names.
    public func namedBuffers() -> [(name: String, buffer: Buffer)] {
        var result: [(name: String, buffer: Buffer)] = []
        var seen = Set<ObjectIdentifier>()
        for (prefix, module) in namedModules() {
            module.forEachStoredProperty { label, value in
                var found: [(String, Buffer)] = []
                if let buffer = value as? Buffer {
                    found.append((label, buffer))
                } else if let buffers = value as? [Buffer] {
                    found += buffers.enumerated().map { ("\(label).\($0.offset)", $0.element) }
                }
                for (name, buffer) in found where seen.insert(ObjectIdentifier(buffer)).inserted {
                    result.append((prefix.isEmpty ? name : "\(prefix).\(name)", buffer))
                }
            }
        }
        return result
    }

    /// Calls `body` with the label and value of every stored property of the subclass chain
    /// (superclass first), unwrapping optionals and skipping `_`-prefixed labels.
    private func forEachStoredProperty(_ body: (String, Any) -> Void) {
        var mirrors: [Mirror] = []
        var mirror: Mirror? = Mirror(reflecting: self)
        while let current = mirror {
            mirrors.append(current)
            mirror = current.superclassMirror
        }
        for current in mirrors.reversed() {
            for child in current.children {
                guard let label = child.label, !label.hasPrefix("_"), !label.hasPrefix("$")
                else { continue }
                guard let value = Self.unwrapOptional(child.value) else { continue }
                body(label, value)
            }
        }
    }

    /// The wrapped value of an optional (nil when empty); other values unchanged.
    private static func unwrapOptional(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .optional else { return value }
        guard let wrapped = mirror.children.first?.value else { return nil }
        return unwrapOptional(wrapped)
    }

    // MARK: - Modes and gradients

    /// Switches this module and every descendant to training mode.
    public func train() { setTraining(true) }

    /// Switches this module and every descendant to evaluation mode (running statistics,
    /// no dropout).
    public func eval() { setTraining(false) }

    /// Sets the mode of this module and every descendant and lets each drop its caches.
    public func setTraining(_ training: Bool) {
        for (_, module) in namedModules() {
            module.isTraining = training
            module.parametersOrModeDidChange()
        }
    }

    /// Lets this module and every descendant drop caches derived from parameters.
    public func invalidateCaches() {
        for (_, module) in namedModules() { module.parametersOrModeDidChange() }
    }

    /// Clears the accumulated gradient of every parameter.
    public func zeroGradients() {
        for (_, parameter) in namedParameters() { parameter.grad = nil }
    }

    /// The number of trainable scalars.
    public var trainableParameterCount: Int {
        parameters().reduce(0) { $0 + $1.value.count }
    }

    // MARK: - State dictionary

    /// Every parameter and buffer by dotted name (the weight file content).
    public func stateDictionary() -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for (name, parameter) in namedParameters() { result[name] = parameter.value }
        for (name, buffer) in namedBuffers() { result[name] = buffer.value }
        return result
    }

    /// Replaces every parameter and buffer with the tensor of the same name.
    ///
    /// Nothing is changed unless the dictionary matches exactly; otherwise one
    /// `StateDictionaryError` names every missing, unexpected and wrongly shaped tensor.
    /// Gradients are cleared, and caches are dropped (`parametersOrModeDidChange`).
    public func load(stateDictionary: [String: Tensor]) throws {
        let parameters = namedParameters()
        let buffers = namedBuffers()
        var expected: [String: [Int]] = [:]
        for (name, parameter) in parameters { expected[name] = parameter.value.shape }
        for (name, buffer) in buffers { expected[name] = buffer.value.shape }

        let missing = expected.keys.filter { stateDictionary[$0] == nil }.sorted()
        let unexpected = stateDictionary.keys.filter { expected[$0] == nil }.sorted()
        var wrongShapes: [StateDictionaryError.ShapeMismatch] = []
        for (name, shape) in expected {
            if let tensor = stateDictionary[name], tensor.shape != shape {
                wrongShapes.append(.init(name: name, expected: shape, found: tensor.shape))
            }
        }
        wrongShapes.sort { $0.name < $1.name }
        guard missing.isEmpty, unexpected.isEmpty, wrongShapes.isEmpty else {
            throw StateDictionaryError(missing: missing, unexpected: unexpected,
                                       wrongShapes: wrongShapes)
        }
        for (name, parameter) in parameters {
            if let tensor = stateDictionary[name] {
                parameter.value = tensor
                parameter.grad = nil
            }
        }
        for (name, buffer) in buffers {
            if let tensor = stateDictionary[name] { buffer.value = tensor }
        }
        invalidateCaches()
    }
}

/// A state dictionary that does not fit a module: every mismatch at once, by tensor name.
public struct StateDictionaryError: Error, Equatable, CustomStringConvertible {
    /// A tensor whose shape differs from the module's.
    public struct ShapeMismatch: Equatable, Sendable {
        public let name: String
        public let expected: [Int]
        public let found: [Int]

        public init(name: String, expected: [Int], found: [Int]) {
            self.name = name
            self.expected = expected
            self.found = found
        }
    }

    /// Names the module has and the dictionary lacks (sorted).
    public let missing: [String]
    /// Names the dictionary has and the module lacks (sorted).
    public let unexpected: [String]
    /// Tensors present on both sides with different shapes (sorted by name).
    public let wrongShapes: [ShapeMismatch]
    /// Tensors whose values make no sense (for example a negative step count), with why.
    public let invalidValues: [String]

    public init(missing: [String], unexpected: [String], wrongShapes: [ShapeMismatch],
                invalidValues: [String] = []) {
        self.missing = missing
        self.unexpected = unexpected
        self.wrongShapes = wrongShapes
        self.invalidValues = invalidValues
    }

    public var description: String {
        var parts: [String] = []
        if !missing.isEmpty {
            parts.append("missing tensors: " + missing.joined(separator: ", "))
        }
        if !unexpected.isEmpty {
            parts.append("unexpected tensors: " + unexpected.joined(separator: ", "))
        }
        if !wrongShapes.isEmpty {
            parts.append("wrongly shaped tensors: " + wrongShapes.map {
                "\($0.name) (expected \($0.expected), found \($0.found))"
            }.joined(separator: ", "))
        }
        if !invalidValues.isEmpty {
            parts.append("invalid values: " + invalidValues.joined(separator: ", "))
        }
        return "state dictionary does not match the model; " + parts.joined(separator: "; ")
    }
}
