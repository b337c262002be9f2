/// Exponential backoff with full jitter (AWS architecture blog's "full jitter"): the n-th wait is
/// uniform in [0, min(cap, base·2ⁿ)]. A value type: the caller owns the attempt count.
public struct RetryBackoff: Sendable, Equatable {
    /// The ceiling of the first wait; it doubles on each attempt.
    public let base: Duration
    /// The largest ceiling.
    public let cap: Duration
    /// Waits handed out since creation or the last ``reset()``.
    public private(set) var attempt: Int = 0

    /// Defaults: 100 ms base, 5 s cap.
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

    /// ``next(using:)`` with `SystemRandomNumberGenerator`.
    public mutating func next() -> Duration {
        var generator = SystemRandomNumberGenerator()
        return next(using: &generator)
    }

    /// Back to attempt 0, after a success.
    public mutating func reset() { attempt = 0 }
}
