import FarmIQCore

/// A query of raw readings of one tenant, `occurred_at` in `[from, to)`, ordered by
/// `occurred_at`, `event_id`, reading index.
public struct RawReadingQuery: Sendable, Hashable {
    public static let maxLimit = 10_000

    public var tenantID: String
    public var deviceID: String?
    public var metric: String?
    public var from: Timestamp
    public var to: Timestamp
    /// At most ``maxLimit``; larger values are capped.
    public var limit: Int

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
