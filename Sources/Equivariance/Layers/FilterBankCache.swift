import NeuralNet
import TensorCore

/// The expanded filter bank of one convolution layer, kept between calls in evaluation mode.
///
/// Training builds the bank from the base weights at every call (the weights move each step).
/// Evaluation builds it once and reuses it while the weight tensor is unchanged: the cache keeps
/// a copy of the weight tensor it was built from (sharing storage, so the check is a buffer
/// identity test), which catches direct writes to `weight.value`; `Module.load`, optimiser
/// steps and mode switches also drop it through `parametersOrModeDidChange`.
final class FilterBankCache {
    private var weightSnapshot: Tensor?
    private var bank: Tensor?

    /// The bank for `weight`, rebuilt by `expand` unless a cached one matches.
    func bank(for weight: Tensor, useCache: Bool, expand: (Tensor) -> Tensor) -> Tensor {
        if useCache, let bank, let weightSnapshot, weightSnapshot == weight { return bank }
        let fresh = expand(weight)
        if useCache {
            bank = fresh
            weightSnapshot = weight
        } else {
            invalidate()
        }
        return fresh
    }

    /// Forgets the cached bank.
    func invalidate() {
        bank = nil
        weightSnapshot = nil
    }

    /// Whether a bank is cached (for tests).
    var isFilled: Bool { bank != nil }
}

/// He (Kaiming) normal initialisation for filters with `fanIn` inputs per output: std √(2/fanIn).
func heNormal(_ shape: [Int], fanIn: Int, generator: inout SeededGenerator) -> Tensor {
    Tensor.gaussian(shape: shape, std: (2 / Float(fanIn)).squareRoot(), generator: &generator)
}
