/// Why an ingested message can never be valid. The raw value is the `reason` label of
/// `farmiq_ingest_rejected_total` and the `reason` column of `ingest_rejects`.
public enum RejectReason: String, Sendable, CaseIterable {
    /// The topic is not `farmiq/v1/{tenant}/{farm}/{barn}/{device}/{telemetry|event}` or is over 400 bytes.
    case invalidTopic = "invalid_topic"
    /// The payload is over ``EnvelopeValidator/maxPayloadBytes`` (64 KiB by default, `contracts.md` §2).
    case payloadTooLarge = "payload_too_large"
    /// The payload is not valid UTF-8.
    case invalidUTF8 = "invalid_utf8"
    /// The payload is not one JSON document (``JSONParser``).
    case invalidJSON = "invalid_json"
    /// The envelope is not an object, or a member is missing or of the wrong JSON type.
    case invalidEnvelope = "invalid_envelope"
    /// `schema_version` is not in ``EnvelopeValidator/supportedSchemaVersions``.
    case unsupportedSchemaVersion = "unsupported_schema_version"
    /// An id breaks `contracts.md` §1 (topic ids, `event_id`, `trace_id`, `session_id`, `station_id`).
    case invalidID = "invalid_id"
    /// An id repeated in the envelope differs from the topic's (`contracts.md` §2).
    case topicMismatch = "topic_mismatch"
    /// `occurred_at` is not RFC 3339 with `Z` or an offset, or is outside years 1970–9999.
    case invalidTimestamp = "invalid_timestamp"
    /// `event_type` is malformed, or on the wrong topic kind (`telemetry.reading` only on `…/telemetry`).
    case invalidEventType = "invalid_event_type"
    /// The payload breaks the rules of its event type (`contracts.md` §2, Event types).
    case invalidPayload = "invalid_payload"
    /// A `telemetry.reading` reading is invalid, or there are not 1 to 100 of them.
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
    /// The reason code.
    public let reason: RejectReason
    /// What is wrong, safe to log and store.
    public let detail: String
    /// For ``RejectReason/clockAhead``: how far the device's clock is ahead, in seconds.
    public let clockAheadSeconds: Double?

    /// A rejection; `clockAheadSeconds` only for ``RejectReason/clockAhead``.
    public init(_ reason: RejectReason, _ detail: String, clockAheadSeconds: Double? = nil) {
        self.reason = reason
        self.detail = detail
        self.clockAheadSeconds = clockAheadSeconds
    }

    /// `{reason}: {detail}`.
    public var description: String { "\(reason.rawValue): \(detail)" }
}
