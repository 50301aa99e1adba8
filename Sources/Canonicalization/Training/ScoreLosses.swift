import NeuralNet
import TensorCore

/// The tape operations the canonicalizer's training needs, each a TensorCore kernel (or a
/// few lines) beside its backward pass.
public enum ScoreLosses {
    /// Mean cross-entropy of softmax(scores) against one target pose index per image:
    /// (N, |G|) scores → scalar. Gradient (softmax − onehot) / N (`Loss.crossEntropy`).
    public static func crossEntropy(scores: Variable, targets: [Int32]) -> Variable {
        let (loss, gradient) = Loss.crossEntropy(logits: scores.value, targets: targets)
        return Variable.record(Tensor(scalar: loss), parents: [scores]) { seed in
            [gradient.scaled(by: seed.storage[0])]
        }
    }

    /// The prior-regularisation loss of Mondal et al. 2023: cross-entropy of the scores
    /// against the identity element (index 0) for every image, so that data that is already
    /// upright stays upright. (N, |G|) → scalar.
    public static func prior(scores: Variable) -> Variable {
        crossEntropy(scores: scores, targets: [Int32](repeating: 0, count: scores.shape[0]))
    }

    /// Σ wᵢ · termᵢ of scalar variables.
    public static func weightedSum(_ terms: [(weight: Float, loss: Variable)]) -> Variable {
        precondition(terms.allSatisfy { $0.loss.value.count == 1 },
                     "weightedSum adds scalar losses only, got shapes "
                     + "\(terms.map { $0.loss.shape })")
        let total = terms.reduce(Float(0)) { $0 + $1.weight * $1.loss.value.storage[0] }
        let weights = terms.map(\.weight)
        return Variable.record(Tensor(scalar: total), parents: terms.map(\.loss)) { seed in
            weights.enumerated().map { index, weight in
                Tensor(shape: terms[index].loss.shape, storage: [weight * seed.storage[0]])
            }
        }
    }
}
