import FarmIQCore

/// One stored reading of `telemetry_raw`.
public struct RawReading: Sendable, Hashable {
    public var tenantID: String
    public var eventID: String
    /// Position of the reading in its message.
    public var index: Int
    public var farmID: String
    public var barnID: String
    public var deviceID: String
    public var metric: String
    public var value: Double
    public var unit: String?
    public var occurredAt: Timestamp
    public var receivedAt: Timestamp

    public init(
        tenantID: String, eventID: String, index: Int, farmID: String, barnID: String, deviceID: String,
        metric: String, value: Double, unit: String?, occurredAt: Timestamp, receivedAt: Timestamp
    ) {
        self.tenantID = tenantID
        self.eventID = eventID
        self.index = index
        self.farmID = farmID
        self.barnID = barnID
        self.deviceID = deviceID
        self.metric = metric
        self.value = value
        self.unit = unit
        self.occurredAt = occurredAt
        self.receivedAt = receivedAt
    }
}
