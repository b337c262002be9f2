import FarmIQCore

/// The roll-up of the new readings of one batch for one `telemetry_agg` row.
struct AggregateDelta: Sendable {
    var count: Int
    var sum: Double
    var min: Double
    var max: Double
    var lastValue: Double
    var lastOccurredAt: Int64
    var lastEventID: String
    var lastIndex: Int

    init(value: Double, occurredAt: Int64, eventID: String, index: Int) {
        count = 1
        sum = value
        min = value
        max = value
        lastValue = value
        lastOccurredAt = occurredAt
        lastEventID = eventID
        lastIndex = index
    }

    mutating func add(value: Double, occurredAt: Int64, eventID: String, index: Int) {
        count += 1
        sum = Self.saturatingSum(sum, value)
        if value < min { min = value }
        if value > max { max = value }
        // `last` is the reading ordered last by (occurred_at, event_id, idx), the order of raw queries.
        if (occurredAt, eventID, index) > (lastOccurredAt, lastEventID, lastIndex) {
            lastValue = value
            lastOccurredAt = occurredAt
            lastEventID = eventID
            lastIndex = index
        }
    }
}

extension AggregateDelta {
    /// `a + b`, saturated at ±`Double.greatestFiniteMagnitude`: a roll-up sum of finite readings stays finite
    /// (no `inf`, never `inf - inf = NaN`, which SQLite would store as NULL and PostgreSQL refuses as an
    /// overflow). The engines' upserts apply the same rule (``RollUpSQL``). Documented in the README.
    static func saturatingSum(_ a: Double, _ b: Double) -> Double {
        let sum = a + b
        if sum.isNaN { return 0 }  // only reachable from non-finite inputs, which validation rejects
        return Swift.min(Swift.max(sum, -Double.greatestFiniteMagnitude), Double.greatestFiniteMagnitude)
    }
}
