import FarmIQCore

/// A query of roll-ups of one tenant, `bucket_start` in `[from, to)`, ordered by device, metric, bucket start.
public struct AggregateQuery: Sendable, Hashable {
    /// The most buckets one query returns.
    public static let maxLimit = 10_000

    /// The tenant whose roll-ups are read.
    public var tenantID: String
    /// Which roll-up: one-minute or one-hour buckets.
    public var bucket: AggregateBucketSize
    /// Only this device; `nil` for every device of the tenant.
    public var deviceID: String?
    /// Only this metric; `nil` for every metric.
    public var metric: String?
    /// Inclusive lower bound of ``AggregateBucket/bucketStart``.
    public var from: Timestamp
    /// Exclusive upper bound of ``AggregateBucket/bucketStart``.
    public var to: Timestamp
    /// At most ``maxLimit``; larger values are capped, a negative one reads nothing.
    public var limit: Int

    /// A query; `limit` defaults to ``maxLimit``.
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
