/// An event bound for the cloud, as written to `sync_outbox` in the same transaction as its domain row.
///
/// `body` is the event object of the cloud contract (`contracts.md` §4), ready to be placed in a batch.
public struct OutboxEvent: Sendable, Equatable {
    /// The event's tenant; with `eventID`, its identity (the cloud dedupes by `(tenant_id, event_id)`, `contracts.md` §4).
    public let tenantID: String
    /// `event_id`, a canonical lower-case UUID.
    public let eventID: String
    /// `event_type`, e.g. `telemetry.reading` or `media.stored`.
    public let eventType: String
    /// `occurred_at` of the event.
    public let occurredAt: Timestamp
    /// JSON text of the event object (an element of `events` in `contracts.md` §4).
    public let body: String

    /// An event of a ready-made `body` (not checked).
    public init(tenantID: String, eventID: String, eventType: String, occurredAt: Timestamp, body: String) {
        self.tenantID = tenantID
        self.eventID = eventID
        self.eventType = eventType
        self.occurredAt = occurredAt
        self.body = body
    }

    /// The cloud event for a device message: the envelope with the topic's ids.
    public init(address: DeviceAddress, header: EnvelopeHeader, payloadJSON: String) {
        self.init(
            tenantID: address.tenantID, eventID: header.eventID, eventType: header.eventType, occurredAt: header.occurredAt,
            body: OutboxEvent.body(address: address, header: header, payloadJSON: payloadJSON))
    }

    /// The JSON of the cloud event for a device message (`contracts.md` §4): the envelope with the topic's ids and the
    /// payload's bytes as received.
    public static func body(address: DeviceAddress, header: EnvelopeHeader, payloadJSON: String) -> String {
        var body = JSONTextBuilder(capacity: 320 + payloadJSON.utf8.count)
        body.raw("{\"tenant_id\":")
        body.string(address.tenantID)
        body.raw(",\"farm_id\":")
        body.string(address.farmID)
        body.raw(",\"barn_id\":")
        body.string(address.barnID)
        body.raw(",\"device_id\":")
        body.string(address.deviceID)
        body.raw(",\"event_id\":")
        body.string(header.eventID)
        body.raw(",\"event_type\":")
        body.string(header.eventType)
        body.raw(",\"occurred_at\":\"")
        body.raw(header.occurredAt.rfc3339)
        body.raw("\",\"schema_version\":")
        body.integer(header.schemaVersion)
        if let traceID = header.traceID {
            body.raw(",\"trace_id\":")
            body.string(traceID)
        } else {
            body.raw(",\"trace_id\":null")
        }
        body.raw(",\"payload\":")
        body.raw(payloadJSON)
        body.raw("}")
        return body.text
    }

    /// The cloud event of a telemetry message, its payload forwarded as received (the body built at validation).
    public init(_ message: TelemetryMessage) {
        self.init(
            tenantID: message.address.tenantID, eventID: message.header.eventID, eventType: message.header.eventType,
            occurredAt: message.header.occurredAt, body: message.outboxBody)
    }

    /// The cloud event of a device event, its payload forwarded as received.
    public init(_ event: DeviceEvent) {
        self.init(address: event.address, header: event.header, payloadJSON: event.payloadJSON)
    }
}
