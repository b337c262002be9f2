import FarmIQCore

/// The group and bucket of one `telemetry_agg` row.
struct AggregateKey: Hashable, Sendable {
    var tenantID: String
    var farmID: String
    var barnID: String
    var deviceID: String
    var metric: String
    var bucketSeconds: Int
    var bucketStart: Int64

    /// Hashes the device, metric and bucket only: they tell a batch's keys apart, and a device's tenant, farm
    /// and barn repeat on every key of it (equality still compares every field). Hashing two strings instead
    /// of five per key: each message makes `readings × 2` keys (`farmiq-edge bench ingest`, `perf`).
    func hash(into hasher: inout Hasher) {
        hasher.combine(deviceID)
        hasher.combine(metric)
        hasher.combine(bucketSeconds)
        hasher.combine(bucketStart)
    }
}
