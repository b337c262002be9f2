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
