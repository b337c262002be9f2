import FarmIQCore

/// The latest value of one metric of one device.
public struct LatestReading: Sendable, Hashable {
    /// The tenant of the device.
    public var tenantID: String
    /// The farm of the device.
    public var farmID: String
    /// The barn of the device.
    public var barnID: String
    /// The device.
    public var deviceID: String
    /// The metric name.
    public var metric: String
    /// The latest value: ``AggregateBucket/last`` of the device's newest one-hour bucket of the metric.
    public var value: Double
    /// When that reading was taken (its message's `occurred_at`).
    public var occurredAt: Timestamp

    /// A record of given values (not checked).
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
