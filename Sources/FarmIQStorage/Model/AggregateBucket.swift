import FarmIQCore

/// The roll-up bucket sizes kept in `telemetry_agg` (column `bucket_size`, in seconds).
public enum AggregateBucketSize: String, Sendable, CaseIterable {
    case minute = "1m"
    case hour = "1h"

    public var seconds: Int {
        switch self {
        case .minute: 60
        case .hour: 3600
        }
    }

    public var milliseconds: Int64 { Int64(seconds) * 1000 }

    /// The start of the bucket that holds `timestamp` (floor, also before 1970).
    public func bucketStart(of timestamp: Timestamp) -> Timestamp {
        let ms = timestamp.millisecondsSinceEpoch
        let size = milliseconds
        var start = ms - ms % size
        if ms % size < 0 { start -= size }
        return Timestamp(millisecondsSinceEpoch: start)
    }

    init?(seconds: Int) {
        switch seconds {
        case 60: self = .minute
        case 3600: self = .hour
        default: return nil
        }
    }
}

/// A query of roll-ups of one tenant, `bucket_start` in `[from, to)`, ordered by device, metric, bucket start.
public struct AggregateQuery: Sendable, Hashable {
    public static let maxLimit = 10_000

    public var tenantID: String
    public var bucket: AggregateBucketSize
    public var deviceID: String?
    public var metric: String?
    public var from: Timestamp
    public var to: Timestamp
    public var limit: Int

    public init(
        tenantID: String, bucket: AggregateBucketSize, deviceID: String? = nil, metric: String? = nil,
        from: Timestamp, to: Timestamp, limit: Int = AggregateQuery.maxLimit
    ) {
        self.tenantID = tenantID
        self.bucket = bucket
        self.deviceID = deviceID
        self.metric = metric
        self.from = from
        self.to = to
        self.limit = limit
    }

    var effectiveLimit: Int { max(0, min(limit, AggregateQuery.maxLimit)) }
}

/// One roll-up row of `telemetry_agg`.
public struct AggregateBucket: Sendable, Hashable {
    public var tenantID: String
    public var farmID: String
    public var barnID: String
    public var deviceID: String
    public var metric: String
    public var bucket: AggregateBucketSize
    public var bucketStart: Timestamp
    public var count: Int
    public var sum: Double
    public var min: Double
    public var max: Double
    /// The value of the reading with the greatest `occurred_at` in the bucket (ties: greater `event_id`).
    public var last: Double
    public var lastOccurredAt: Timestamp

    public var avg: Double { count == 0 ? 0 : sum / Double(count) }

    public init(
        tenantID: String, farmID: String, barnID: String, deviceID: String, metric: String, bucket: AggregateBucketSize,
        bucketStart: Timestamp, count: Int, sum: Double, min: Double, max: Double, last: Double, lastOccurredAt: Timestamp
    ) {
        self.tenantID = tenantID
        self.farmID = farmID
        self.barnID = barnID
        self.deviceID = deviceID
        self.metric = metric
        self.bucket = bucket
        self.bucketStart = bucketStart
        self.count = count
        self.sum = sum
        self.min = min
        self.max = max
        self.last = last
        self.lastOccurredAt = lastOccurredAt
    }
}

/// The latest value of one metric of one device.
public struct LatestReading: Sendable, Hashable {
    public var tenantID: String
    public var farmID: String
    public var barnID: String
    public var deviceID: String
    public var metric: String
    public var value: Double
    public var occurredAt: Timestamp

    public init(tenantID: String, farmID: String, barnID: String, deviceID: String, metric: String, value: Double, occurredAt: Timestamp) {
        self.tenantID = tenantID
        self.farmID = farmID
        self.barnID = barnID
        self.deviceID = deviceID
        self.metric = metric
        self.value = value
        self.occurredAt = occurredAt
    }
}
