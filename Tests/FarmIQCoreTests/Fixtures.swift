@testable import FarmIQCore

/// Shared building blocks: a valid device address, topics and envelopes that tests mutate one field at a time.
enum Fixture {
    static let tenant = "tenant-1"
    static let farm = "farm_A"
    static let barn = "barn-7"
    static let device = "dev-42"
    static let prefix = "farmiq/v1/\(tenant)/\(farm)/\(barn)/\(device)"
    static let telemetryTopic = "\(prefix)/telemetry"
    static let eventTopic = "\(prefix)/event"

    static let eventID = "0193a3c1-7b2e-7c3a-9f4d-2b8e5a1c0d11"
    static let sessionID = "8f14e45f-ceea-467a-9a8e-1b2c3d4e5f60"
    static let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let occurredAt = "2026-11-29T04:48:42.123Z"
    /// `occurredAt` in milliseconds since the epoch (`date -u -d 2026-11-29T04:48:42Z +%s` = 1795927722).
    static let occurredAtMS: Int64 = 1_795_927_722_123
    static let receivedAt = Timestamp(millisecondsSinceEpoch: 1_795_927_800_000)

    static let telemetryPayload = #"{"readings":[{"metric":"temperature","value":24.3,"unit":"celsius"},{"metric":"humidity","value":61}]}"#

    static var address: DeviceAddress {
        DeviceAddress(tenantID: tenant, farmID: farm, barnID: barn, deviceID: device)!
    }

    /// An envelope as JSON text. `set` replaces (or appends) top-level members with raw JSON text; `remove` drops them.
    static func envelope(
        _ eventType: String = "telemetry.reading",
        payload: String = telemetryPayload,
        set: [(String, String)] = [],
        remove: Set<String> = []
    ) -> String {
        var fields: [(String, String)] = [
            ("schema_version", "1"),
            ("event_id", "\"\(eventID)\""),
            ("event_type", "\"\(eventType)\""),
            ("occurred_at", "\"\(occurredAt)\""),
            ("trace_id", "\"\(traceID)\""),
            ("payload", payload),
        ]
        for (key, value) in set {
            if let index = fields.firstIndex(where: { $0.0 == key }) {
                fields[index].1 = value
            } else {
                fields.append((key, value))
            }
        }
        fields.removeAll { remove.contains($0.0) }
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    static func readingsPayload(count: Int) -> String {
        let items = (0..<count).map { #"{"metric":"m\#($0)","value":\#($0)}"# }
        return #"{"readings":["# + items.joined(separator: ",") + "]}"
    }

    static func validate(_ topic: String, _ payload: [UInt8], maxPayloadBytes: Int = EnvelopeValidator.defaultMaxPayloadBytes)
        -> Result<IngestMessage, IngestRejection>
    {
        EnvelopeValidator(maxPayloadBytes: maxPayloadBytes).validate(topic: topic, payload: payload, receivedAt: receivedAt)
    }

    static func validate(_ topic: String, _ payload: String) -> Result<IngestMessage, IngestRejection> {
        validate(topic, Array(payload.utf8))
    }

    /// The reject reason, or nil if the message was accepted.
    static func reason(_ topic: String, _ payload: String) -> RejectReason? {
        reason(topic, Array(payload.utf8))
    }

    static func reason(_ topic: String, _ payload: [UInt8]) -> RejectReason? {
        switch validate(topic, payload) {
        case .success: nil
        case .failure(let rejection): rejection.reason
        }
    }

    static func accepted(_ topic: String, _ payload: String) -> IngestMessage? {
        try? validate(topic, payload).get()
    }
}
