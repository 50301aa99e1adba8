import Foundation

/// Losses. Each returns the scalar loss and its gradient with respect to its input (logits),
/// so the forward and backward of a loss are one call.
///
/// Logits are (N, C) or (N, C, …) (e.g. (N, C, H, W) for segmentation); class targets are
/// `Int32` class indices, one per (n, …) position in row-major order (N or N·H·W entries).
public enum Loss {
    /// (N, C, inner) view of logits and a check of the targets.
    static func classLayout(_ logits: Tensor, _ targets: [Int32])
        -> (batch: Int, classes: Int, inner: Int) {
        precondition(logits.rank >= 2, "class logits must be (N, C, …), got \(logits.shape)")
        let batch = logits.shape[0], classes = logits.shape[1]
        let inner = logits.shape.dropFirst(2).reduce(1, *)
        precondition(targets.count == batch * inner,
                     "\(targets.count) targets for logits \(logits.shape); "
                     + "expected \(batch * inner)")
        return (batch, classes, inner)
    }

    /// Cross-entropy of softmax(logits) along axis 1 against class indices, averaged like
    /// PyTorch's `F.cross_entropy(reduction="mean")`:
    ///
    ///     L = Σ_i w[t_i] · (−log softmax(x_i)[t_i]) / Σ_i w[t_i]
    ///
    /// over positions i whose target is not `ignoreIndex` (w ≡ 1 without `classWeights`).
    /// Gradient: ∂L/∂x_i = w[t_i] / Σ w · (softmax(x_i) − onehot(t_i)); 0 at ignored positions.
    /// When every position is ignored the loss is 0 with a zero gradient (PyTorch gives NaN).
    public static func crossEntropy(logits: Tensor, targets: [Int32], classWeights: [Float]? = nil,
                                    ignoreIndex: Int32? = nil) -> (loss: Float, gradient: Tensor) {
        let (batch, classes, inner) = classLayout(logits, targets)
        if let classWeights {
            precondition(classWeights.count == classes,
                         "\(classWeights.count) class weights for \(classes) classes")
        }
        var gradient = [Float](repeating: 0, count: logits.count)  // logits shape
        var weightedLoss = 0.0, totalWeight = 0.0
        logits.storage.withUnsafeBufferPointer { x in
            for n in 0..<batch {
                for i in 0..<inner {
                    let target = targets[n * inner + i]
                    if let ignoreIndex, target == ignoreIndex { continue }
                    precondition(target >= 0 && Int(target) < classes,
                                 "target \(target) outside 0..<\(classes)")
                    let base = n * classes * inner + i
                    var m = -Float.infinity
                    for k in 0..<classes { m = max(m, x[base + k * inner]) }
                    var total = 0.0
                    for k in 0..<classes { total += Double(exp(x[base + k * inner] - m)) }
                    let logSum = Double(m) + log(total)
                    let weight = Double(classWeights?[Int(target)] ?? 1)
                    weightedLoss += weight * (logSum - Double(x[base + Int(target) * inner]))
                    totalWeight += weight
                    for k in 0..<classes {
                        let p = Float(exp(Double(x[base + k * inner]) - logSum))
                        let onehot: Float = k == Int(target) ? 1 : 0
                        gradient[base + k * inner] = Float(weight) * (p - onehot)
                    }
                }
            }
        }
        guard totalWeight > 0 else { return (0, Tensor(zeros: logits.shape)) }
        let scale = Float(1 / totalWeight)
        for k in 0..<gradient.count { gradient[k] *= scale }
        return (Float(weightedLoss / totalWeight), Tensor(shape: logits.shape, storage: gradient))
    }

    /// Cross-entropy against pools of classes: the target is the pool its class belongs to,
    /// and the probability of a pool is the sum of its classes' softmax probabilities,
    ///
    ///     L = mean_i −log Σ_{k : pool[k] = pool[t_i]} softmax(x_i)[k]
    ///
    /// over positions i (N·inner of them). Gradient: ∂L/∂x_ik = (p_ik − [pool[k] = pool[t_i]]
    /// · p_ik / P_i) / (N·inner), P_i the target pool's probability. With every class its own
    /// pool this is `crossEntropy` without weights. An orientation model trained on quarter
    /// turns alone pools each pose with its mirror image.
    public static func pooledCrossEntropy(logits: Tensor, targets: [Int32], pools: [Int])
        -> (loss: Float, gradient: Tensor) {
        let (batch, classes, inner) = classLayout(logits, targets)
        precondition(pools.count == classes, "\(pools.count) pool indices for \(classes) classes")
        let positions = batch * inner
        var gradient = [Float](repeating: 0, count: logits.count)  // logits shape
        var total = 0.0
        logits.storage.withUnsafeBufferPointer { x in
            for n in 0..<batch {
                for i in 0..<inner {
                    let target = targets[n * inner + i]
                    precondition(target >= 0 && Int(target) < classes,
                                 "target \(target) outside 0..<\(classes)")
                    let pool = pools[Int(target)]
                    let base = n * classes * inner + i
                    var m = -Float.infinity
                    for k in 0..<classes { m = max(m, x[base + k * inner]) }
                    var all = 0.0, pooled = 0.0
                    for k in 0..<classes {
                        let e = Double(exp(x[base + k * inner] - m))
                        all += e
                        if pools[k] == pool { pooled += e }
                    }
                    total += log(all) - log(pooled)
                    for k in 0..<classes {
                        let e = Double(exp(x[base + k * inner] - m))
                        let inPool = pools[k] == pool ? e / pooled : 0
                        gradient[base + k * inner] = Float((e / all - inPool) / Double(positions))
                    }
                }
            }
        }
        return (Float(total / Double(max(positions, 1))), Tensor(shape: logits.shape,
                                                                   storage: gradient))
    }

    /// Binary cross-entropy on logits, mean over all samples (PyTorch's
    /// `binary_cross_entropy_with_logits` with `pos_weight`):
    ///
    ///     ℓ = −[p·y·log σ(x) + (1 − y)·log(1 − σ(x))] = p·y·softplus(−x) + (1 − y)·softplus(x)
    ///     ∂ℓ/∂x = p·y·(σ(x) − 1) + (1 − y)·σ(x)
    ///
    /// with p = `positiveWeight` (default 1); targets y in [0, 1], same shape as logits.
    public static func binaryCrossEntropyWithLogits(logits: Tensor, targets: Tensor,
                                                    positiveWeight: Float? = nil)
        -> (loss: Float, gradient: Tensor) {
        precondition(logits.shape == targets.shape,
                     "BCE logits \(logits.shape) and targets \(targets.shape) differ")
        precondition(logits.count > 0, "BCE of an empty tensor")
        let pw = positiveWeight ?? 1
        let scale = 1 / Float(logits.count)
        var total = 0.0
        var gradient = [Float](repeating: 0, count: logits.count)  // logits shape
        for i in 0..<logits.count {
            let x = logits.storage[i], y = targets.storage[i]
            // softplus(x) = max(x, 0) + log1p(e^{−|x|}), stable for large |x|.
            let softplusX = max(x, 0) + log1p(exp(-abs(x)))
            let softplusMinusX = softplusX - x
            total += Double(pw * y * softplusMinusX + (1 - y) * softplusX)
            let s = Activation.sigmoid(x)
            gradient[i] = (pw * y * (s - 1) + (1 - y) * s) * scale
        }
        return (Float(total) * scale, Tensor(shape: logits.shape, storage: gradient))
    }

    /// Soft Dice loss on softmax(logits) along axis 1 (Milletari et al. 2016, multi-class):
    ///
    ///     D_c = (2 Σ p_c·y_c + ε) / (Σ p_c + Σ y_c + ε),   L = 1 − Σ_c w_c D_c / Σ_c w_c
    ///
    /// sums over the whole batch and all positions, y_c the one-hot target, w ≡ 1 without
    /// `classWeights`, ε = `epsilon` (default 1, which keeps absent classes at D_c = 1 when
    /// predicted absent). Gradient through the softmax:
    /// ∂D_c/∂p_c = (2 y_c (S_c + ε) − (2 I_c + ε)) / (S_c + ε)², then the softmax backward.
    public static func softDice(logits: Tensor, targets: [Int32], classWeights: [Float]? = nil,
                                epsilon: Float = 1) -> (loss: Float, gradient: Tensor) {
        let (batch, classes, inner) = classLayout(logits, targets)
        let weights = classWeights ?? [Float](repeating: 1, count: classes)
        precondition(weights.count == classes,
                     "\(weights.count) class weights for \(classes) classes")
        let weightSum = Double(weights.reduce(0, +))
        precondition(weightSum > 0, "soft Dice class weights must not sum to 0")
        let probabilities = Softmax.forward(logits: logits, axis: 1)  // (N, C, …)
        var intersection = [Double](repeating: 0, count: classes)  // (C)
        var sums = [Double](repeating: 0, count: classes)  // (C): Σp + Σy
        for n in 0..<batch {
            for i in 0..<inner {
                let target = Int(targets[n * inner + i])
                precondition(target >= 0 && target < classes,
                             "target \(target) outside 0..<\(classes)")
                for c in 0..<classes {
                    let p = Double(probabilities.storage[(n * classes + c) * inner + i])
                    sums[c] += p
                    if c == target {
                        intersection[c] += p
                        sums[c] += 1
                    }
                }
            }
        }
        let eps = Double(epsilon)
        var weightedDice = 0.0
        for c in 0..<classes {
            weightedDice += Double(weights[c]) * (2 * intersection[c] + eps) / (sums[c] + eps)
        }
        // ∂L/∂p (N, C, …)
        var probabilityGradient = [Float](repeating: 0, count: logits.count)
        for n in 0..<batch {
            for i in 0..<inner {
                let target = Int(targets[n * inner + i])
                for c in 0..<classes {
                    let denominator = sums[c] + eps
                    let y = c == target ? 2 * denominator : 0
                    let dDice = (y - (2 * intersection[c] + eps)) / (denominator * denominator)
                    probabilityGradient[(n * classes + c) * inner + i] =
                        Float(-Double(weights[c]) / weightSum * dDice)
                }
            }
        }
        let gradient = Softmax.backward(
            outputGradient: Tensor(shape: logits.shape, storage: probabilityGradient),
            output: probabilities, axis: 1)
        return (Float(1 - weightedDice / weightSum), gradient)
    }

    /// Mean squared error (1/M) Σ (x − t)², gradient 2 (x − t) / M.
    public static func meanSquaredError(predictions: Tensor, targets: Tensor)
        -> (loss: Float, gradient: Tensor) {
        precondition(predictions.shape == targets.shape,
                     "MSE predictions \(predictions.shape) and targets \(targets.shape) differ")
        precondition(predictions.count > 0, "MSE of an empty tensor")
        let difference = predictions - targets
        let m = Float(predictions.count)
        return (difference.squaredNorm / m, difference.scaled(by: 2 / m))
    }

    /// Weighted sum Σ_k a_k L_k of losses of the same input, with the matching gradient
    /// Σ_k a_k ∂L_k/∂x (e.g. 0.5 · cross-entropy + 0.5 · Dice).
    public static func weightedSum(
        _ terms: [(weight: Float, loss: (loss: Float, gradient: Tensor))]
    ) -> (loss: Float, gradient: Tensor) {
        precondition(!terms.isEmpty, "weightedSum needs at least one loss")
        var loss: Float = 0
        var gradient = Tensor(zeros: terms[0].loss.gradient.shape)
        for term in terms {
            loss += term.weight * term.loss.loss
            gradient.addInPlace(term.loss.gradient, scaledBy: term.weight)
        }
        return (loss, gradient)
    }
}
