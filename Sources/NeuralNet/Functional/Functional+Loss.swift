import TensorCore

/// Losses as tape operations: each returns a rank-0 variable whose backward multiplies the
/// kernel's gradient by the incoming scalar, so losses can be scaled, summed and weighted
/// like any other variable. Formulas and averaging are the kernels' (see `Loss`).
extension Functional {
    /// Mean cross-entropy of softmax(logits) along axis 1 against class indices (PyTorch's
    /// `cross_entropy`): logits (N, C) or (N, C, …), one target per (n, …) position in
    /// row-major order; optional per-class weights (C) and an ignored target value.
    public static func crossEntropy(logits: Variable, targets: [Int32],
                                    classWeights: [Float]? = nil,
                                    ignoreIndex: Int32? = nil) -> Variable {
        scalarLoss(logits, Loss.crossEntropy(logits: logits.value, targets: targets,
                                             classWeights: classWeights,
                                             ignoreIndex: ignoreIndex))
    }

    /// Mean cross-entropy against pools of classes (`Loss.pooledCrossEntropy`): the target is
    /// the pool of its class, whose probability is the sum over the pool's classes.
    public static func pooledCrossEntropy(logits: Variable, targets: [Int32],
                                          pools: [Int]) -> Variable {
        scalarLoss(logits, Loss.pooledCrossEntropy(logits: logits.value, targets: targets,
                                                   pools: pools))
    }

    /// Mean binary cross-entropy on logits; targets in [0, 1] shaped like the logits;
    /// `positiveWeight` scales the positive term (PyTorch's `pos_weight`).
    public static func binaryCrossEntropyWithLogits(logits: Variable, targets: Tensor,
                                                    positiveWeight: Float? = nil) -> Variable {
        scalarLoss(logits, Loss.binaryCrossEntropyWithLogits(logits: logits.value,
                                                             targets: targets,
                                                             positiveWeight: positiveWeight))
    }

    /// Soft Dice loss 1 − weighted mean Dice of softmax(logits) (N, C, …) against class
    /// indices (Milletari et al. 2016), with optional per-class weights and smoothing ε.
    public static func softDice(logits: Variable, targets: [Int32], classWeights: [Float]? = nil,
                                epsilon: Float = 1) -> Variable {
        scalarLoss(logits, Loss.softDice(logits: logits.value, targets: targets,
                                         classWeights: classWeights, epsilon: epsilon))
    }

    /// Mean squared error between predictions and targets of the same shape.
    public static func meanSquaredError(_ predictions: Variable, targets: Tensor) -> Variable {
        scalarLoss(predictions, Loss.meanSquaredError(predictions: predictions.value,
                                                      targets: targets))
    }

    /// Σ_k a_k L_k for losses (or any variables) of one shape, e.g.
    /// `weightedSum([(0.5, crossEntropy), (0.5, dice)])`.
    public static func weightedSum(_ terms: [(weight: Float, loss: Variable)]) -> Variable {
        precondition(!terms.isEmpty, "weightedSum needs at least one term")
        let shape = terms[0].loss.shape
        precondition(terms.allSatisfy { $0.loss.shape == shape },
                     "weightedSum terms must share one shape, got \(terms.map(\.loss.shape))")
        var total = Tensor(zeros: shape)
        for term in terms { total.addInPlace(term.loss.value.scaled(by: term.weight)) }
        let weights = terms.map(\.weight)
        return Variable.record(total, parents: terms.map(\.loss)) { g in
            weights.map { g.scaled(by: $0) }
        }
    }

    /// A rank-0 variable holding `result.loss` whose backward sends
    /// `result.gradient` × (incoming scalar) to `input`.
    static func scalarLoss(_ input: Variable,
                           _ result: (loss: Float, gradient: Tensor)) -> Variable {
        let gradient = result.gradient
        return Variable.record(Tensor(scalar: result.loss), parents: [input]) { g in
            let seed = g.storage[0]
            return [seed == 1 ? gradient : gradient.scaled(by: seed)]
        }
    }
}
