/// A deterministic, seedable random number generator (xoshiro256**, Blackman & Vigna 2018).
///
/// The 64-bit seed is expanded to the 256-bit state with SplitMix64, as the xoshiro authors
/// recommend, so nearby seeds give unrelated streams. The whole state is four `UInt64` words;
/// `state` / `init(state:)` save and restore it exactly, which `train --resume` relies on.
/// Gaussian samples use the Box–Muller transform without caching the second value, so the
/// state never holds anything besides those four words.
public struct SeededGenerator: RandomNumberGenerator, Codable, Equatable, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// A generator whose stream is fixed by `seed`.
    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix()
        s1 = splitMix()
        s2 = splitMix()
        s3 = splitMix()
    }

    /// A generator restored from `state` as returned by `state` (exactly four words, not all 0).
    public init(state: [UInt64]) {
        precondition(state.count == 4, "SeededGenerator state needs 4 words, got \(state.count)")
        precondition(state.contains { $0 != 0 }, "SeededGenerator state must not be all zero")
        s0 = state[0]
        s1 = state[1]
        s2 = state[2]
        s3 = state[3]
    }

    /// The full generator state; `SeededGenerator(state:)` continues the stream from here.
    public var state: [UInt64] { [s0, s1, s2, s3] }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// The next 64 random bits (xoshiro256** step).
    public mutating func next() -> UInt64 {
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    /// A uniform sample in [0, 1): the top 24 bits of `next()` times 2⁻²⁴, so every value is an
    /// exact Float and 1 is never returned.
    public mutating func nextFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A uniform Double in [0, 1) from the top 53 bits.
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A standard normal sample (mean 0, variance 1) by Box–Muller:
    /// z = √(−2 ln u₁) · cos(2π u₂), with u₁ ∈ (0, 1] so the logarithm is finite.
    public mutating func nextGaussian() -> Float {
        let u1 = 1.0 - nextDouble()
        let u2 = nextDouble()
        return Float((-2.0 * _log(u1)).squareRoot() * _cos(2.0 * Double.pi * u2))
    }

    /// Two independent normal samples with standard deviation `scale` (mean 0), both values of
    /// one Box–Muller draw: r = scale · √(−2 ln u₁), (r cos 2πu₂, r sin 2πu₂), with u₁ kept
    /// above 0 so the logarithm is finite. For callers that need many samples at once (noise
    /// fields, warp control points); `nextGaussian()` keeps one value per draw.
    public mutating func nextGaussianPair(scale: Double) -> (Double, Double) {
        let u1 = max(nextDouble(), 1e-300), u2 = nextDouble()
        let radius = scale * (-2 * _log(u1)).squareRoot()
        return (radius * _cos(2 * Double.pi * u2), radius * _sin(2 * Double.pi * u2))
    }

    /// A uniform integer in 0..<bound, unbiased, by Lemire's multiply-and-reject method
    /// ("Fast Random Integer Generation in an Interval", 2019). Implemented here rather than
    /// through `Int.random(in:using:)` so the stream cannot change with the standard library.
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "nextInt(below:) needs a positive bound, got \(bound)")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold { product = next().multipliedFullWidth(by: range) }
        }
        return Int(product.high)
    }

    /// Shuffles `array` in place by Fisher–Yates with `nextInt(below:)`, so the order depends
    /// only on this generator's stream and not on the standard library's `shuffle(using:)`.
    public mutating func shuffle<Element>(_ array: inout [Element]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, nextInt(below: i + 1))
        }
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) private func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
@inline(__always) private func _sin(_ x: Double) -> Double { Glibc.sin(x) }
#elseif canImport(Darwin)
import Darwin
@inline(__always) private func _log(_ x: Double) -> Double { Darwin.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Darwin.cos(x) }
@inline(__always) private func _sin(_ x: Double) -> Double { Darwin.sin(x) }
#endif
