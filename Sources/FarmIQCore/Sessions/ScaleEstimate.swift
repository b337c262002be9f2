/// The scale weight of a session (`contracts.md` §3a): the median of its `stable` readings after dropping
/// outliers more than 3 median absolute deviations (MAD) from the median; with no stable reading, the same over
/// all readings and the anomaly `no_stable_readings`. Weights in kilograms.
public struct ScaleEstimate: Sendable, Equatable {
    /// Readings of the session, stable ones, and those used after dropping outliers.
    public let readings: Int
    /// Readings marked `stable`.
    public let stable: Int
    /// Readings of the base set left after dropping outliers.
    public let used: Int
    /// The session's weight on the scale; `nil` without readings.
    public let weightKg: Double?
    /// The median absolute deviation of the base set (stable readings, or all), kg.
    public let madKg: Double?
    /// True when no reading was stable and all were used as the base.
    public let noStableReadings: Bool

    /// The estimate over a session's readings (weights in kg, any order).
    public init(readings: [(weightKg: Double, stable: Bool)]) {
        self.readings = readings.count
        let stableWeights = readings.filter(\.stable).map(\.weightKg)
        stable = stableWeights.count
        noStableReadings = stableWeights.isEmpty && !readings.isEmpty
        let base = stableWeights.isEmpty ? readings.map(\.weightKg) : stableWeights
        guard let median = Self.median(base) else {
            used = 0
            weightKg = nil
            madKg = nil
            return
        }
        let mad = Self.median(base.map { abs($0 - median) }) ?? 0
        let kept = base.filter { abs($0 - median) <= 3 * mad }
        used = kept.count
        weightKg = Self.median(kept)
        madKg = mad
    }

    /// The median (mean of the two middle values for an even count); `nil` for none.
    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
