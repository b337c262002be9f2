import FarmIQCore

/// The key of a message for idempotency.
struct MessageKey: Hashable, Sendable {
    var tenantID: String
    var eventID: String
}

/// Splits a batch into first occurrences and in-batch repeats.
enum BatchDeduplication {
    /// Returns the indices of the first occurrence of each key, in batch order, and the number of repeats.
    static func firstOccurrences<T>(_ items: [T], key: (T) -> MessageKey) -> (unique: [Int], repeats: Int) {
        var seen = Set<MessageKey>(minimumCapacity: items.count)
        var unique: [Int] = []
        unique.reserveCapacity(items.count)
        for (index, item) in items.enumerated() where seen.insert(key(item)).inserted {
            unique.append(index)
        }
        return (unique, items.count - unique.count)
    }
}

/// The group and bucket of one `telemetry_agg` row.
struct AggregateKey: Hashable, Sendable {
    var tenantID: String
    var farmID: String
    var barnID: String
    var deviceID: String
    var metric: String
    var bucketSeconds: Int
    var bucketStart: Int64
}

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

/// The roll-up sum of the upserts, saturated like ``AggregateDelta/saturatingSum(_:_:)``.
enum RollUpSQL {
    /// SQLite: `inf` of an overflow is clamped.
    static func sqliteSum(_ a: String, _ b: String) -> String {
        "max(-1.7976931348623157e308, min(1.7976931348623157e308, \(a) + \(b)))"
    }

    /// PostgreSQL raises "value out of range: overflow" on a float8 sum that overflows, so the half-sum
    /// (which cannot overflow) decides first.
    static func postgresSum(_ a: String, _ b: String) -> String {
        """
        CASE WHEN \(a) * 0.5::float8 + \(b) * 0.5::float8 >= 8.98e307::float8 THEN 1.7976931348623157e308::float8
             WHEN \(a) * 0.5::float8 + \(b) * 0.5::float8 <= -8.98e307::float8 THEN -1.7976931348623157e308::float8
             ELSE \(a) + \(b) END
        """
    }
}

/// Pre-aggregates the readings of the new messages of a batch per (group, bucket), so each
/// `telemetry_agg` row is upserted once per batch.
struct AggregateAccumulator {
    private(set) var deltas: [AggregateKey: AggregateDelta] = [:]

    mutating func add(_ message: TelemetryMessage) {
        let occurredAt = message.header.occurredAt
        let ms = occurredAt.millisecondsSinceEpoch
        for (index, reading) in message.readings.enumerated() {
            for size in AggregateBucketSize.allCases {
                let key = AggregateKey(
                    tenantID: message.address.tenantID, farmID: message.address.farmID, barnID: message.address.barnID,
                    deviceID: message.address.deviceID, metric: reading.metric, bucketSeconds: size.seconds,
                    bucketStart: size.bucketStart(of: occurredAt).millisecondsSinceEpoch)
                if deltas[key] != nil {
                    deltas[key]!.add(value: reading.value, occurredAt: ms, eventID: message.header.eventID, index: index)
                } else {
                    deltas[key] = AggregateDelta(value: reading.value, occurredAt: ms, eventID: message.header.eventID, index: index)
                }
            }
        }
    }
}
