/// Validates an MQTT message against `contracts.md` §2 and turns it into an ``IngestMessage``.
///
/// Pure and synchronous: no I/O, so every rule is unit-tested directly. The order of checks is
/// cheapest first (topic, size, UTF-8, JSON) so hostile input costs little.
public struct EnvelopeValidator: Sendable {
    /// 64 KiB, the envelope limit of `contracts.md` §2.
    public static let defaultMaxPayloadBytes = 64 * 1024
    /// The `schema_version`s accepted; any other is rejected `unsupported_schema_version`.
    public static let supportedSchemaVersions: Set<Int> = [1]
    /// Most readings in one `telemetry.reading` payload (`contracts.md` §2: 1 to 100).
    public static let maxReadings = 100

    /// How far `occurred_at` may be ahead of the edge's clock (5 minutes): more is a wrong device clock.
    public static let defaultMaxClockAheadMilliseconds: Int64 = 5 * 60 * 1000
    /// 30 days: see ``maxEventAgeMilliseconds``.
    public static let defaultMaxEventAgeDays = 30

    /// Bytes; a larger payload is rejected `payload_too_large`.
    public var maxPayloadBytes: Int
    /// Messages whose `occurred_at` is more than this ahead of their receipt are rejected `clock_ahead`.
    public var maxClockAheadMilliseconds: Int64
    /// Messages whose `occurred_at` is more than this before their receipt are rejected `too_old`
    /// (`FARMIQ_EVENT_MAX_AGE_DAYS`). Together with the clock-ahead bound this closes exactly-once across
    /// the event-id register's pruning: an id is kept ``eventIDHorizonMilliseconds`` after its first receipt,
    /// so a repeat arriving later than that carries an `occurred_at` this rule rejects.
    public var maxEventAgeMilliseconds: Int64

    /// A validator; `maxEventAgeDays` becomes ``maxEventAgeMilliseconds`` (days × 86 400 000).
    public init(
        maxPayloadBytes: Int = EnvelopeValidator.defaultMaxPayloadBytes,
        maxClockAheadMilliseconds: Int64 = EnvelopeValidator.defaultMaxClockAheadMilliseconds,
        maxEventAgeDays: Int = EnvelopeValidator.defaultMaxEventAgeDays
    ) {
        self.maxPayloadBytes = maxPayloadBytes
        self.maxClockAheadMilliseconds = maxClockAheadMilliseconds
        self.maxEventAgeMilliseconds = Int64(maxEventAgeDays) * 86_400_000
    }

    /// How long the event-id register must keep an id after its first receipt: the maximum age plus the
    /// clock-ahead tolerance plus one hour of margin.
    public var eventIDHorizonMilliseconds: Int64 {
        maxEventAgeMilliseconds + maxClockAheadMilliseconds + 3_600_000
    }

    /// True when every byte is below 0x80 (then the bytes are valid UTF-8).
    static func isASCII(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            var index = 0
            let count = raw.count
            var high: UInt64 = 0
            while index + 8 <= count {
                high |= raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                index += 8
            }
            while index < count {
                high |= UInt64(raw[index])
                index += 1
            }
            return high & 0x8080_8080_8080_8080 == 0
        }
    }

    /// Validates one message. Returns the message or the reason it can never be valid.
    ///
    /// The payload is an array (what the gateway holds), not any collection: a generic entry point, called from
    /// another module, runs unspecialised, with metadata lookups per message (seen in the ingest profile).
    public func validate(topic: String, payload: [UInt8], receivedAt: Timestamp) -> Result<IngestMessage, IngestRejection> {
        do {
            return .success(try validateThrowing(topic: topic, payload: payload, receivedAt: receivedAt))
        } catch {
            return .failure(error)
        }
    }

    /// ``validate(topic:payload:receivedAt:)`` with the ``IngestRejection`` thrown instead of returned.
    public func validateThrowing(topic: String, payload bytes: [UInt8], receivedAt: Timestamp) throws(IngestRejection) -> IngestMessage {
        let parsedTopic = try IngestTopic.parse(topic)
        guard bytes.count <= maxPayloadBytes else {
            throw IngestRejection(.payloadTooLarge, "payload is \(bytes.count) bytes, limit \(maxPayloadBytes)")
        }
        // Most payloads are ASCII: checked a word at a time; only others are decoded to check their UTF-8.
        guard Self.isASCII(bytes) || String(validating: bytes, as: UTF8.self) != nil else {
            throw IngestRejection(.invalidUTF8, "payload is not valid UTF-8")
        }
        // Almost every telemetry envelope has one shape, validated from its bytes; anything else, and every
        // rejection, goes through the full parse.
        if parsedTopic.kind == .telemetry,
            let message = TelemetryFastPath.message(topic: parsedTopic, payload: bytes, receivedAt: receivedAt, validator: self)
        {
            return .telemetry(message)
        }
        return try validateParsing(topic: parsedTopic, payload: bytes, receivedAt: receivedAt)
    }

    /// The full path: the envelope parsed into a tree, then ``validateDocument(topic:document:payloadJSON:receivedAt:)``.
    /// `bytes` passed the size and UTF-8 checks.
    func validateParsing(topic parsedTopic: IngestTopic, payload bytes: [UInt8], receivedAt: Timestamp) throws(IngestRejection) -> IngestMessage {
        let document: JSONValue
        let payloadRange: Range<Int>?
        do {
            (document, payloadRange) = try JSONParser.parse(bytes, capturingTopLevelMember: "payload")
        } catch {
            throw IngestRejection(.invalidJSON, error.description)
        }
        // The payload is forwarded as the bytes it arrived in (valid UTF-8, checked above).
        let payloadJSON = payloadRange.map { String(decoding: bytes[$0], as: UTF8.self) }
        return try validateDocument(topic: parsedTopic, document: document, payloadJSON: payloadJSON, receivedAt: receivedAt)
    }

    /// Validates an envelope that was already parsed (the telemetry service re-checks what the gateway sends it).
    /// `payloadJSON`: the payload member's text as received, when the caller has it.
    public func validateDocument(
        topic parsedTopic: IngestTopic, document: JSONValue, payloadJSON: String? = nil, receivedAt: Timestamp
    ) throws(IngestRejection) -> IngestMessage {
        guard document.isObject else { throw IngestRejection(.invalidEnvelope, "envelope must be a JSON object") }

        let header = try validateHeader(document, topic: parsedTopic)
        try checkClock(header.occurredAt, receivedAt: receivedAt)
        guard let payloadValue = document["payload"], payloadValue.isObject else {
            throw IngestRejection(.invalidEnvelope, "payload must be a JSON object")
        }
        switch parsedTopic.kind {
        case .telemetry:
            guard header.eventType == "telemetry.reading" else {
                throw IngestRejection(.invalidEventType, "telemetry topic carries only telemetry.reading")
            }
            let readings = try TelemetryPayload.readings(from: payloadValue)
            return .telemetry(TelemetryMessage(
                address: parsedTopic.address, header: header, readings: readings, payload: payloadValue, payloadJSON: payloadJSON,
                receivedAt: receivedAt))
        case .event:
            guard header.eventType != "telemetry.reading" else {
                throw IngestRejection(.invalidEventType, "telemetry.reading belongs on the telemetry topic")
            }
            try EventPayload.validate(eventType: header.eventType, payload: payloadValue)
            return .event(DeviceEvent(
                address: parsedTopic.address, header: header, payload: payloadValue, payloadJSON: payloadJSON, receivedAt: receivedAt))
        }
    }

    /// The device-clock rule: `occurred_at` within [receivedAt − max age, receivedAt + max ahead].
    private func checkClock(_ occurredAt: Timestamp, receivedAt: Timestamp) throws(IngestRejection) {
        let skew = occurredAt.millisecondsSinceEpoch - receivedAt.millisecondsSinceEpoch
        if skew > maxClockAheadMilliseconds {
            throw IngestRejection(
                .clockAhead, "occurred_at is \(skew / 1000) s ahead of the edge's clock (limit \(maxClockAheadMilliseconds / 1000) s)",
                clockAheadSeconds: Double(skew) / 1000)
        }
        if -skew > maxEventAgeMilliseconds {
            throw IngestRejection(
                .tooOld, "occurred_at is \(-skew / 86_400_000) days before its receipt (limit \(maxEventAgeMilliseconds / 86_400_000) days)")
        }
    }

    private func validateHeader(_ document: JSONValue, topic: IngestTopic) throws(IngestRejection) -> EnvelopeHeader {
        guard case .number(let versionNumber)? = document["schema_version"] else {
            throw IngestRejection(.invalidEnvelope, "schema_version must be an integer")
        }
        // Any number that is not a supported version (2, 1.5, 1e400) is an unknown version.
        guard let version = versionNumber.integerValue, EnvelopeValidator.supportedSchemaVersions.contains(version) else {
            throw IngestRejection(.unsupportedSchemaVersion, "schema_version \(versionNumber.text.prefix(32)) is not supported")
        }
        guard case .string(let eventID)? = document["event_id"] else {
            throw IngestRejection(.invalidEnvelope, "event_id must be a string")
        }
        guard Identifier.isValidUUID(eventID) else {
            throw IngestRejection(.invalidID, "event_id must be a canonical lower-case UUID")
        }
        guard case .string(let eventType)? = document["event_type"] else {
            throw IngestRejection(.invalidEnvelope, "event_type must be a string")
        }
        guard Identifier.isValidEventType(eventType) else {
            throw IngestRejection(.invalidEventType, "event_type must be dot-separated lower-case words (a.b)")
        }
        guard case .string(let occurredText)? = document["occurred_at"] else {
            throw IngestRejection(.invalidEnvelope, "occurred_at must be a string")
        }
        guard let occurredAt = Timestamp(rfc3339: occurredText) else {
            throw IngestRejection(.invalidTimestamp, "occurred_at must be RFC 3339 with Z or an offset")
        }
        var traceID: String?
        switch document["trace_id"] {
        case nil, .null?:
            traceID = nil
        case .string(let text)?:
            guard Identifier.isValidTraceID(text) else {
                throw IngestRejection(.invalidID, "trace_id must be a W3C trace-id (32 lower-case hex digits)")
            }
            traceID = text
        default:
            throw IngestRejection(.invalidEnvelope, "trace_id must be a string")
        }
        let repeated: [(String, String)] = [
            ("tenant_id", topic.address.tenantID), ("farm_id", topic.address.farmID),
            ("barn_id", topic.address.barnID), ("device_id", topic.address.deviceID),
        ]
        for (field, expected) in repeated {
            guard let value = document[field] else { continue }
            guard case .string(let text) = value else {
                throw IngestRejection(.invalidEnvelope, "\(field) must be a string")
            }
            guard text == expected else {
                throw IngestRejection(.topicMismatch, "\(field) in the envelope does not match the topic")
            }
        }
        return EnvelopeHeader(schemaVersion: version, eventID: eventID, eventType: eventType, occurredAt: occurredAt, traceID: traceID)
    }
}
