import ModelRuntime
import TensorCore

extension StageTransforms {
    /// How `NormalizeIntensity` maps intensities; the raw values are the pipeline file's `mode`.
    public enum NormalizeMode: String, Sendable, CaseIterable {
        /// (x − mean) / std over all channels together.
        case zscore
        /// The `lower`..`upper` percentiles onto 0..1, clipped.
        case percentile
    }

    /// MONAI `ScaleIntensityRange(a_min, a_max, b_min, b_max, clip)`: every sample x of every
    /// channel becomes
    ///
    ///     x' = (x − aMin) / (aMax − aMin) · (bMax − bMin) + bMin
    ///
    /// and, when `clip` is true, then `min(max(x', bMin), bMax)` — MONAI's clip, which for
    /// bMin > bMax gives bMax everywhere, as `torch.clamp` does. Computed in Double in MONAI's
    /// order of operations and rounded to Float once.
    ///
    /// - Precondition: `aMax ≠ aMin` (validation rejects such a stage; MONAI would warn and
    ///   shift instead).
    public static func scaleIntensityRange(_ image: ImagePlanes, aMin: Double, aMax: Double,
                                           bMin: Double, bMax: Double,
                                           clip: Bool) -> ImagePlanes {
        precondition(aMax != aMin, "ScaleIntensityRange needs a_max ≠ a_min, got \(aMin) for both")
        return mappedRange(image, aMin: aMin, aMax: aMax, bMin: bMin, bMax: bMax, clip: clip)
    }

    /// `NormalizeIntensity` over all channels of `image` together (MONAI `channel_wise=False`,
    /// `nonzero=False`).
    ///
    /// - `.zscore`: MONAI `NormalizeIntensity()`: (x − mean) / std with the population standard
    ///   deviation (`unbiased=False`), mean and variance accumulated in Double
    ///   (`IntensityMapping.zScore`). MONAI divides by 1 where std is 0, giving x − mean; std is
    ///   0 only when every sample equals the mean, so both give zeros there.
    /// - `.percentile`: MONAI `ScaleIntensityRangePercentiles(lower, upper, b_min=0, b_max=1,
    ///   clip=True)`: aMin and aMax are the `lower` and `upper` percentiles (0...100) of all
    ///   samples, interpolated linearly between ranks in Double (numpy's default,
    ///   `Statistics.percentile`), then `scaleIntensityRange(aMin, aMax, 0, 1, clip: true)`.
    ///   Where the two percentiles coincide (a mostly constant image) MONAI returns x − aMin,
    ///   unclipped; so does this.
    ///
    /// `lower` and `upper` are ignored by `.zscore`. An empty image is returned as it is.
    public static func normalizeIntensity(_ image: ImagePlanes, mode: NormalizeMode,
                                          lower: Double = 1, upper: Double = 99) -> ImagePlanes {
        switch mode {
        case .zscore:
            var result = image
            result.values = IntensityMapping.zScore(image.values)
            return result
        case .percentile:
            precondition(0 <= lower && lower <= upper && upper <= 100,
                         "percentiles must satisfy 0 ≤ lower ≤ upper ≤ 100, got \(lower), \(upper)")
            guard !image.values.isEmpty else { return image }
            let sorted = image.values.map(Double.init).sorted()
            return mappedRange(image, aMin: Statistics.percentile(sorted: sorted, lower),
                               aMax: Statistics.percentile(sorted: sorted, upper),
                               bMin: 0, bMax: 1, clip: true)
        }
    }

    /// MONAI `ScaleIntensityRange` including its degenerate case: where aMax == aMin it returns
    /// x − aMin + bMin without clipping.
    static func mappedRange(_ image: ImagePlanes, aMin: Double, aMax: Double, bMin: Double,
                            bMax: Double, clip: Bool) -> ImagePlanes {
        var result = image
        if aMax == aMin {
            result.values = image.values.map { Float(Double($0) - aMin + bMin) }
            return result
        }
        let (inputRange, outputRange) = (aMax - aMin, bMax - bMin)
        result.values = image.values.map { x in
            let mapped = (Double(x) - aMin) / inputRange * outputRange + bMin
            return Float(clip ? Swift.min(Swift.max(mapped, bMin), bMax) : mapped)
        }
        return result
    }
}
