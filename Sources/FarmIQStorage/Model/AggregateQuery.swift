import FarmIQCore

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
