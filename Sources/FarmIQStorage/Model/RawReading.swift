import FarmIQCore

/// One stored reading of `telemetry_raw`.
public struct RawReading: Sendable, Hashable {
    /// The tenant of the message.
    public var tenantID: String
    /// The `event_id` of the message the reading came in.
    public var eventID: String
    /// Position of the reading in its message.
    public var index: Int
    /// The farm of the device, from its topic.
    public var farmID: String
    /// The barn of the device, from its topic.
    public var barnID: String
    /// The device that sent the message.
    public var deviceID: String
    /// The metric name (`contracts.md` §1).
    public var metric: String
    /// The value as sent (finite).
    public var value: Double
    /// The unit as sent; `nil` when the reading had none.
    public var unit: String?
    /// The message's `occurred_at` (the device's clock).
    public var occurredAt: Timestamp
    /// When the edge received the message (the edge's clock).
    public var receivedAt: Timestamp

    /// A reading of given values (not checked).
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
