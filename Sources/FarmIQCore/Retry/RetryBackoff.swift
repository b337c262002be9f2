/// Exponential backoff with full jitter (AWS architecture blog's "full jitter"): the n-th wait is
/// uniform in [0, min(cap, base·2ⁿ)]. A value type: the caller owns the attempt count.
public struct RetryBackoff: Sendable, Equatable {
    public let base: Duration
    public let cap: Duration
    public private(set) var attempt: Int = 0

    public init(base: Duration = .milliseconds(100), cap: Duration = .seconds(5)) {
        self.base = base
        self.cap = cap
    }

    /// The ceiling of the next wait, without jitter.
    public var currentCeiling: Duration {
        let factor = attempt >= 30 ? Int64(1) << 30 : Int64(1) << attempt
        let ceiling = base * Double(factor)
        return ceiling > cap ? cap : ceiling
    }

    /// The next wait (uniform in [0, ceiling]) and advance the attempt count.
    public mutating func next<G: RandomNumberGenerator>(using generator: inout G) -> Duration {
        let ceiling = currentCeiling
        attempt += 1
        let nanos = ceiling.components.seconds * 1_000_000_000 + ceiling.components.attoseconds / 1_000_000_000
        guard nanos > 0 else { return .zero }
        return .nanoseconds(Int64.random(in: 0...nanos, using: &generator))
    }

    public mutating func next() -> Duration {
        var generator = SystemRandomNumberGenerator()
        return next(using: &generator)
    }

    public mutating func reset() { attempt = 0 }
}
