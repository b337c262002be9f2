import FarmIQCore

/// One received MQTT message, reduced to what validation needs.
public struct ReceivedMessage: Sendable {
    public let topic: String
    public let payload: [UInt8]
    public let receivedAt: Timestamp

    public init(topic: String, payload: [UInt8], receivedAt: Timestamp) {
        self.topic = topic
        self.payload = payload
        self.receivedAt = receivedAt
    }
}

/// A valid telemetry message together with the bytes it came from (the HTTP sink forwards those).
public struct TelemetrySubmission: Sendable {
    public let message: TelemetryMessage
    public let source: ReceivedMessage
}

/// A batch split by owner: telemetry for edge-telemetry-timeseries, other device events for the
/// gateway's own event table, rejects for `ingest_rejects`.
public struct ClassifiedBatch: Sendable {
    public var telemetry: [TelemetrySubmission] = []
    public var events: [DeviceEvent] = []
    public var rejects: [IngestReject] = []

    /// Validates every message. Pure: no I/O, nothing thrown; a bad message becomes a reject.
    public init(_ messages: [ReceivedMessage], validator: EnvelopeValidator) {
        for received in messages {
            switch validator.validate(topic: received.topic, payload: received.payload, receivedAt: received.receivedAt) {
            case .success(.telemetry(let message)):
                telemetry.append(TelemetrySubmission(message: message, source: received))
            case .success(.event(let event)):
                events.append(event)
            case .failure(let rejection):
                let tenant = (try? IngestTopic.parse(received.topic))?.address.tenantID
                rejects.append(IngestReject(
                    topic: received.topic, tenantID: tenant, reason: rejection.reason, detail: rejection.detail,
                    payload: received.payload, receivedAt: received.receivedAt))
            }
        }
    }
}
