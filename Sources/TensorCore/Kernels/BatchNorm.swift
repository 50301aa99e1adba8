/// What `BatchNorm.backward` needs from the forward pass.
public struct BatchNormCache: Sendable {
    /// Normalised input x̂ = (x − μ) / √(σ² + ε), shaped like the input.
    public let normalized: Tensor
    /// 1 / √(σ² + ε) per channel (C); batch statistics in training, running ones otherwise.
    public let inverseStd: [Float]
    /// γ (C).
    public let gamma: Tensor
    /// Whether the forward pass used batch statistics (then μ and σ² depend on x).
    public let training: Bool
}

/// Batch normalisation (Ioffe & Szegedy 2015), forward beside backward.
///
/// Normalises per index c of axis 1 over all other axes, so it serves (N, C) features,
/// (N, C, H, W) images and (N, C, G, H, W) group feature maps (there it is the escnn "inner
/// batch norm": one statistic per field, shared by its |G| poses). With M the number of
/// samples per channel:
///
///     μ_c = (1/M) Σ x,   σ²_c = (1/M) Σ (x − μ_c)²  (biased, used to normalise)
///     y = γ_c · (x − μ_c) / √(σ²_c + ε) + β_c
///
/// In training the running estimates follow PyTorch: r ← (1 − m)·r + m·stat, with the
/// unbiased variance σ²·M/(M − 1) for the running variance. In inference (`training: false`)
/// the running estimates normalise and are left unchanged. Backward (training), with x̂ the
/// normalised input and g = ∂L/∂y:
///
///     ∂L/∂β_c = Σ g,  ∂L/∂γ_c = Σ g·x̂,
///     ∂L/∂x = γ_c / (M·√(σ²_c + ε)) · (M·g − Σ g − x̂ · Σ g·x̂)
///
/// and in inference ∂L/∂x = γ_c · g / √(r_var + ε). Sums over a channel accumulate in Double.
public enum BatchNorm {
    static func layout(_ shape: [Int]) -> (outer: Int, channels: Int, inner: Int) {
        precondition(shape.count >= 2, "BatchNorm input must be (N, C, …), got \(shape)")
        return (shape[0], shape[1], shape.dropFirst(2).reduce(1, *))
    }

    /// Normalises `input` (N, C, …). gamma, beta, runningMean, runningVariance are (C).
    public static func forward(input: Tensor, gamma: Tensor, beta: Tensor,
                               runningMean: inout Tensor, runningVariance: inout Tensor,
                               momentum: Float = 0.1, epsilon: Float = 1e-5,
                               training: Bool) -> (output: Tensor, cache: BatchNormCache) {
        let (outer, channels, inner) = layout(input.shape)
        for (name, t) in [("gamma", gamma), ("beta", beta), ("runningMean", runningMean),
                          ("runningVariance", runningVariance)] {
            precondition(t.shape == [channels],
                         "BatchNorm \(name) must be (\(channels)), got \(t.shape)")
        }
        let perChannel = outer * inner
        var mean = [Float](repeating: 0, count: channels)  // (C)
        var inverseStd = [Float](repeating: 0, count: channels)  // (C)
        input.storage.withUnsafeBufferPointer { x in  // (N, C, inner)
            for c in 0..<channels {
                if training {
                    precondition(perChannel > 1 || !training,
                                 "BatchNorm training needs more than one value per channel")
                    var total = 0.0
                    for n in 0..<outer {
                        let base = (n * channels + c) * inner
                        for i in 0..<inner { total += Double(x[base + i]) }
                    }
                    let mu = total / Double(perChannel)
                    var squares = 0.0
                    for n in 0..<outer {
                        let base = (n * channels + c) * inner
                        for i in 0..<inner {
                            let d = Double(x[base + i]) - mu
                            squares += d * d
                        }
                    }
                    let variance = squares / Double(perChannel)
                    mean[c] = Float(mu)
                    inverseStd[c] = Float(1 / (variance + Double(epsilon)).squareRoot())
                    let unbiased = variance * Double(perChannel) / Double(perChannel - 1)
                    runningMean.storage[c] = (1 - momentum) * runningMean.storage[c]
                        + momentum * Float(mu)
                    runningVariance.storage[c] = (1 - momentum) * runningVariance.storage[c]
                        + momentum * Float(unbiased)
                } else {
                    mean[c] = runningMean.storage[c]
                    inverseStd[c] = 1 / (runningVariance.storage[c] + epsilon).squareRoot()
                }
            }
        }
        var normalized = [Float](repeating: 0, count: input.count)  // input shape
        var output = [Float](repeating: 0, count: input.count)  // input shape
        input.storage.withUnsafeBufferPointer { x in
            for n in 0..<outer {
                for c in 0..<channels {
                    let base = (n * channels + c) * inner
                    let mu = mean[c], inv = inverseStd[c]
                    let scale = gamma.storage[c], shift = beta.storage[c]
                    for i in 0..<inner {
                        let value = (x[base + i] - mu) * inv
                        normalized[base + i] = value
                        output[base + i] = scale * value + shift
                    }
                }
            }
        }
        let cache = BatchNormCache(normalized: Tensor(shape: input.shape, storage: normalized),
                                   inverseStd: inverseStd, gamma: gamma, training: training)
        return (Tensor(shape: input.shape, storage: output), cache)
    }

    /// Gradients with respect to input (N, C, …), gamma (C) and beta (C).
    public static func backward(outputGradient: Tensor, cache: BatchNormCache)
        -> (input: Tensor, gamma: Tensor, beta: Tensor) {
        precondition(outputGradient.shape == cache.normalized.shape,
                     "BatchNorm outputGradient must be \(cache.normalized.shape), "
                     + "got \(outputGradient.shape)")
        let (outer, channels, inner) = layout(outputGradient.shape)
        let m = Double(outer * inner)
        var gammaGradient = [Float](repeating: 0, count: channels)  // (C)
        var betaGradient = [Float](repeating: 0, count: channels)  // (C)
        var inputGradient = [Float](repeating: 0, count: outputGradient.count)  // input shape
        outputGradient.storage.withUnsafeBufferPointer { g in
            cache.normalized.storage.withUnsafeBufferPointer { xhat in
                for c in 0..<channels {
                    var sumG = 0.0, sumGX = 0.0
                    for n in 0..<outer {
                        let base = (n * channels + c) * inner
                        for i in 0..<inner {
                            sumG += Double(g[base + i])
                            sumGX += Double(g[base + i]) * Double(xhat[base + i])
                        }
                    }
                    betaGradient[c] = Float(sumG)
                    gammaGradient[c] = Float(sumGX)
                    let scale = cache.gamma.storage[c] * cache.inverseStd[c]
                    let meanG = Float(sumG / m), meanGX = Float(sumGX / m)
                    for n in 0..<outer {
                        let base = (n * channels + c) * inner
                        for i in 0..<inner {
                            inputGradient[base + i] = cache.training
                                ? scale * (g[base + i] - meanG - xhat[base + i] * meanGX)
                                : scale * g[base + i]
                        }
                    }
                }
            }
        }
        return (Tensor(shape: outputGradient.shape, storage: inputGradient),
                Tensor(shape: [channels], storage: gammaGradient),
                Tensor(shape: [channels], storage: betaGradient))
    }
}
