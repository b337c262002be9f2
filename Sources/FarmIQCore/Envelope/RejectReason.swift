/// Why an ingested message can never be valid. The raw value is the `reason` label of
/// `farmiq_ingest_rejected_total` and the `reason` column of `ingest_rejects`.
public enum RejectReason: String, Sendable, CaseIterable {
    case invalidTopic = "invalid_topic"
    case payloadTooLarge = "payload_too_large"
    case invalidUTF8 = "invalid_utf8"
    case invalidJSON = "invalid_json"
    case invalidEnvelope = "invalid_envelope"
    case unsupportedSchemaVersion = "unsupported_schema_version"
    case invalidID = "invalid_id"
    case topicMismatch = "topic_mismatch"
    case invalidTimestamp = "invalid_timestamp"
    case invalidEventType = "invalid_event_type"
    case invalidPayload = "invalid_payload"
    case invalidReading = "invalid_reading"
}

/// A rejection: the reason code and a detail safe to log and store (never echoes raw input unescaped).
public struct IngestRejection: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: RejectReason
    public let detail: String

    public init(_ reason: RejectReason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }

    public var description: String { "\(reason.rawValue): \(detail)" }
}
