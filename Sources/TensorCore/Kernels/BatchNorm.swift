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
        precondition(!training || perChannel > 1,
                     "BatchNorm training needs more than one value per channel, got \(input.shape)")
        var mean = [Float](repeating: 0, count: channels)  // (C)
        var inverseStd = [Float](repeating: 0, count: channels)  // (C)
        var normalized = [Float](repeating: 0, count: input.count)  // input shape
        var output = [Float](repeating: 0, count: input.count)  // input shape
        // Channels are split across workers; each channel's sums run in index order on one
        // worker, so the result does not depend on the worker count.
        input.storage.withUnsafeBufferPointer { x in  // (N, C, inner)
        gamma.storage.withUnsafeBufferPointer { scale in
        beta.storage.withUnsafeBufferPointer { shift in
        runningMean.storage.withUnsafeMutableBufferPointer { rm in
        runningVariance.storage.withUnsafeMutableBufferPointer { rv in
        mean.withUnsafeMutableBufferPointer { mu in
        inverseStd.withUnsafeMutableBufferPointer { inv in
        normalized.withUnsafeMutableBufferPointer { xhat in
        output.withUnsafeMutableBufferPointer { y in
            // Each chunk writes only the channels of its own range.
            let (xs, scales) = (RegionPointer(x), RegionPointer(scale))
            let shifts = RegionPointer(shift)
            let (rms, rvs, mus) = (RegionPointer(rm), RegionPointer(rv), RegionPointer(mu))
            let (invs, xhats, ys) = (RegionPointer(inv), RegionPointer(xhat), RegionPointer(y))
            ThreadPolicy.parallel(count: channels,
                                  minimumPerChunk: max(1, 16_384 / max(perChannel, 1))) {
                _, range in
                let (x, scale, shift) = (xs.pointer, scales.pointer, shifts.pointer)
                let (rm, rv, mu) = (rms.pointer, rvs.pointer, mus.pointer)
                let (inv, xhat, y) = (invs.pointer, xhats.pointer, ys.pointer)
                for c in range {
                    if training {
                        var total = 0.0
                        for n in 0..<outer {
                            let base = (n * channels + c) * inner
                            for i in 0..<inner { total += Double(x[base + i]) }
                        }
                        let m = total / Double(perChannel)
                        var squares = 0.0
                        for n in 0..<outer {
                            let base = (n * channels + c) * inner
                            for i in 0..<inner {
                                let d = Double(x[base + i]) - m
                                squares += d * d
                            }
                        }
                        let variance = squares / Double(perChannel)
                        mu[c] = Float(m)
                        inv[c] = Float(1 / (variance + Double(epsilon)).squareRoot())
                        let unbiased = variance * Double(perChannel) / Double(perChannel - 1)
                        rm[c] = (1 - momentum) * rm[c] + momentum * Float(m)
                        rv[c] = (1 - momentum) * rv[c] + momentum * Float(unbiased)
                    } else {
                        mu[c] = rm[c]
                        inv[c] = 1 / (rv[c] + epsilon).squareRoot()
                    }
                    let m = mu[c], s = inv[c], a = scale[c], b = shift[c]
                    for n in 0..<outer {
                        let base = (n * channels + c) * inner
                        for i in 0..<inner {
                            let value = (x[base + i] - m) * s
                            xhat[base + i] = value
                            y[base + i] = a * value + b
                        }
                    }
                }
            }
        }}}}}}}}}
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
        cache.gamma.storage.withUnsafeBufferPointer { gamma in
        gammaGradient.withUnsafeMutableBufferPointer { dgamma in
        betaGradient.withUnsafeMutableBufferPointer { dbeta in
        inputGradient.withUnsafeMutableBufferPointer { dx in
            // Each chunk writes only the channels of its own range.
            let (gs, xhats, gammas) = (RegionPointer(g), RegionPointer(xhat), RegionPointer(gamma))
            let (dgammas, dbetas, dxs) = (RegionPointer(dgamma), RegionPointer(dbeta),
                                          RegionPointer(dx))
            ThreadPolicy.parallel(count: channels,
                                  minimumPerChunk: max(1, 16_384 / max(outer * inner, 1))) {
                _, range in
                let (g, xhat, gamma) = (gs.pointer, xhats.pointer, gammas.pointer)
                let (dgamma, dbeta, dx) = (dgammas.pointer, dbetas.pointer, dxs.pointer)
                for c in range {
                    var sumG = 0.0, sumGX = 0.0
                    for n in 0..<outer {
                        let base = (n * channels + c) * inner
                        for i in 0..<inner {
                            sumG += Double(g[base + i])
                            sumGX += Double(g[base + i]) * Double(xhat[base + i])
                        }
                    }
                    dbeta[c] = Float(sumG)
                    dgamma[c] = Float(sumGX)
                    let scale = gamma[c] * cache.inverseStd[c]
                    let meanG = cache.training ? Float(sumG / m) : 0
                    let meanGX = cache.training ? Float(sumGX / m) : 0
                    for n in 0..<outer {
                        let base = (n * channels + c) * inner
                        for i in 0..<inner {
                            dx[base + i] = scale * (g[base + i] - meanG - xhat[base + i] * meanGX)
                        }
                    }
                }
            }
        }}}}}}
        return (Tensor(shape: outputGradient.shape, storage: inputGradient),
                Tensor(shape: [channels], storage: gammaGradient),
                Tensor(shape: [channels], storage: betaGradient))
    }
}
