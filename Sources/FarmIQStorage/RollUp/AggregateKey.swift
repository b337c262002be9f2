import FarmIQCore

/// The group and bucket of one `telemetry_agg` row.
struct AggregateKey: Sendable {
    var tenantID: String
    var farmID: String
    var barnID: String
    var deviceID: String
    var metric: String
    var bucketSeconds: Int
    var bucketStart: Int64
}

extension AggregateKey {
    /// The order of `telemetry_agg`'s primary key, in which ``AggregateAccumulator/deltas`` are handed out. Writers
    /// that upsert their rows in this order take the row locks in one global order, so two concurrent batches on
    /// PostgreSQL (gateway replicas in cluster mode, or the telemetry service's concurrent requests) wait for each
    /// other instead of deadlocking.
    static func primaryKeyOrder(_ a: AggregateKey, _ b: AggregateKey) -> Bool {
        (a.tenantID, a.bucketSeconds, a.deviceID, a.metric, a.bucketStart, a.farmID) < (b.tenantID, b.bucketSeconds, b.deviceID, b.metric, b.bucketStart, b.farmID)
            || ((a.tenantID, a.bucketSeconds, a.deviceID, a.metric, a.bucketStart, a.farmID) == (b.tenantID, b.bucketSeconds, b.deviceID, b.metric, b.bucketStart, b.farmID)
                && a.barnID < b.barnID)
    }
}
