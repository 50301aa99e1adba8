import NeuralNet
import Synchronization
import TensorCore

/// The expanded filter bank of one convolution layer, kept between calls in evaluation mode.
///
/// Training builds the bank from the base weights at every call (the weights move each step).
/// Evaluation builds it once and reuses it while the weight tensor is unchanged: the cache keeps
/// a copy of the weight tensor it was built from (sharing storage, so the check is a buffer
/// identity test), which catches direct writes to `weight.value`; `Module.load`, optimiser
/// steps and mode switches also drop it through `parametersOrModeDidChange`.
///
/// Safe to use from several threads at once (one eval-mode model serving several threads):
/// the entry is guarded by a `Mutex`, and the bank is built outside the lock, so threads that
/// miss together each build the same bank and the last one stores it.
final class FilterBankCache: Sendable {
    /// A bank and the weight tensor it was expanded from.
    private struct Entry {
        var weight: Tensor
        var bank: Tensor
    }

    private let entry = Mutex<Entry?>(nil)

    /// The bank for `weight`, rebuilt by `expand` unless a cached one matches.
    func bank(for weight: Tensor, useCache: Bool, expand: (Tensor) -> Tensor) -> Tensor {
        guard useCache else {
            invalidate()
            return expand(weight)
        }
        let cached: Tensor? = entry.withLock { entry in
            guard let entry, entry.weight == weight else { return nil }
            return entry.bank
        }
        if let cached { return cached }
        let fresh = expand(weight)
        entry.withLock { $0 = Entry(weight: weight, bank: fresh) }
        return fresh
    }

    /// Forgets the cached bank.
    func invalidate() {
        entry.withLock { $0 = nil }
    }

    /// Whether a bank is cached (for tests).
    var isFilled: Bool { entry.withLock { $0 != nil } }
}

/// He (Kaiming) normal initialisation for filters with `fanIn` inputs per output: std √(2/fanIn).
func heNormal(_ shape: [Int], fanIn: Int, generator: inout SeededGenerator) -> Tensor {
    Tensor.gaussian(shape: shape, std: (2 / Float(fanIn)).squareRoot(), generator: &generator)
}
