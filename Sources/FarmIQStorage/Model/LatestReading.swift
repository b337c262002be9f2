import FarmIQCore

/// The latest value of one metric of one device.
public struct LatestReading: Sendable, Hashable {
    public var tenantID: String
    public var farmID: String
    public var barnID: String
    public var deviceID: String
    public var metric: String
    public var value: Double
    public var occurredAt: Timestamp

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
