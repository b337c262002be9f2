/// Exponential backoff with full jitter: attempt `n` (from 1) waits a uniformly random time in
/// `0...min(maximum, minimum * 2^(n-1))`, never less than `minimum`.
struct MQTTBackoff: Sendable {
    var minimum: Duration
    var maximum: Duration

    func delay(attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let minimumNanos = Self.nanoseconds(self.minimum)
        let maximumNanos = max(minimumNanos, Self.nanoseconds(self.maximum))
        let exponent = min(max(attempt - 1, 0), 40)
        let (scaled, overflow) = minimumNanos.multipliedReportingOverflow(by: Int64(1) << exponent)
        let ceiling = overflow ? maximumNanos : min(maximumNanos, scaled)
        let jittered = Int64.random(in: 0...max(ceiling, 0), using: &generator)
        return .nanoseconds(max(jittered, minimumNanos))
    }

    func delay(attempt: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return self.delay(attempt: attempt, using: &generator)
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : scaled &+ attoseconds / 1_000_000_000
    }
}
