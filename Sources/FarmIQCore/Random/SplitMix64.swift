/// SplitMix64 (Steele, Lea and Flood, 2014): a small seeded generator, for what must come out the same on every
/// run (simulated scenes, benchmark inputs, fuzz and protocol tests). Not for secrets: tokens and jitter use
/// `SystemRandomNumberGenerator`.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The generator's state: advanced by `0x9E3779B97F4A7C15` on each ``next()``.
    public var state: UInt64

    /// A generator starting at `seed`: equal seeds give equal sequences.
    public init(seed: UInt64) {
        state = seed
    }

    /// The next 64 pseudo-random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
