import FarmIQCore

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
