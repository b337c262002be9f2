import FarmIQCore

/// A query of raw readings of one tenant, `occurred_at` in `[from, to)`, ordered by
/// `occurred_at`, `event_id`, reading index.
public struct RawReadingQuery: Sendable, Hashable {
    /// The most readings one query returns.
    public static let maxLimit = 10_000

    /// The tenant whose readings are read.
    public var tenantID: String
    /// Only this device; `nil` for every device of the tenant.
    public var deviceID: String?
    /// Only readings of this metric; `nil` for every metric.
    public var metric: String?
    /// Inclusive lower bound of the messages' `occurred_at`.
    public var from: Timestamp
    /// Exclusive upper bound of the messages' `occurred_at`.
    public var to: Timestamp
    /// At most ``maxLimit``; larger values are capped.
    public var limit: Int

    /// A query; `limit` defaults to 1000 readings.
    public init(tenantID: String, deviceID: String? = nil, metric: String? = nil, from: Timestamp, to: Timestamp, limit: Int = 1000) {
        self.tenantID = tenantID
        self.deviceID = deviceID
        self.metric = metric
        self.from = from
        self.to = to
        self.limit = limit
    }

    var effectiveLimit: Int { max(0, min(limit, RawReadingQuery.maxLimit)) }
}
