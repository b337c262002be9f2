import FarmIQCore

/// One roll-up row of `telemetry_agg`.
public struct AggregateBucket: Sendable, Hashable {
    /// The tenant of the series.
    public var tenantID: String
    /// The farm of the device, from its topic.
    public var farmID: String
    /// The barn of the device, from its topic.
    public var barnID: String
    /// The device that sent the readings.
    public var deviceID: String
    /// The metric name (`contracts.md` §1).
    public var metric: String
    /// The bucket size: one minute or one hour.
    public var bucket: AggregateBucketSize
    /// The start of the bucket: the readings' `occurred_at` floored to the bucket size (column `bucket_start`,
    /// milliseconds since the Unix epoch, UTC).
    public var bucketStart: Timestamp
    /// Readings in the bucket; a duplicate message is never counted twice.
    public var count: Int
    /// Sum of the values, saturated at ±`Double.greatestFiniteMagnitude` (never `inf` or NaN).
    public var sum: Double
    /// The smallest value in the bucket.
    public var min: Double
    /// The largest value in the bucket.
    public var max: Double
    /// The value of the reading with the greatest `occurred_at` in the bucket (ties: greater `event_id`).
    public var last: Double
    /// The greatest `occurred_at` in the bucket: when the reading of ``last`` was taken.
    public var lastOccurredAt: Timestamp

    /// `sum / count`; 0 for a bucket without readings.
    public var avg: Double { count == 0 ? 0 : sum / Double(count) }

    /// A bucket of given values (not checked).
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
