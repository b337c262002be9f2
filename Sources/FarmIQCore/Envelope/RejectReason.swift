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
    /// `occurred_at` is further ahead of the edge's clock than ``EnvelopeValidator/maxClockAheadMilliseconds``
    /// (a device clock that is wrong: no RTC battery, no NTP).
    case clockAhead = "clock_ahead"
    /// `occurred_at` is older than ``EnvelopeValidator/maxEventAgeMilliseconds``: past the horizon of the
    /// event-id register, so it could not be told apart from an event already accepted and forgotten.
    case tooOld = "too_old"
    /// Valid by the contract, but the database refused to store it twice in a row, alone (a poison message):
    /// recorded with the database's reason and acknowledged so the messages behind it flow.
    case commitFailed = "commit_failed"
}

/// A rejection: the reason code and a detail safe to log and store (never echoes raw input unescaped).
public struct IngestRejection: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: RejectReason
    public let detail: String
    /// For ``RejectReason/clockAhead``: how far the device's clock is ahead, in seconds.
    public let clockAheadSeconds: Double?

    public init(_ reason: RejectReason, _ detail: String, clockAheadSeconds: Double? = nil) {
        self.reason = reason
        self.detail = detail
        self.clockAheadSeconds = clockAheadSeconds
    }

    public var description: String { "\(reason.rawValue): \(detail)" }
}
