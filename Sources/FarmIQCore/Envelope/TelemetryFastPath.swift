/// The common shape of a `telemetry.reading` envelope (`contracts.md` §2), validated straight from its bytes,
/// without building a JSON tree.
///
/// Accepts only what it fully understands: one object whose members are the envelope's known keys, each once
/// (`schema_version`, `event_id`, `event_type`, `occurred_at`, optional `trace_id`, optional `tenant_id`,
/// `farm_id`, `barn_id`, `device_id`, and `payload`), a payload object of `readings` alone, readings of
/// `metric`, `value` and optional `unit`, strings of printable ASCII without escapes, and JSON whitespace anywhere.
/// For any other input, valid or not, it returns `nil` and the caller runs the full validator, whose answer is
/// the canonical one. So it never rejects a message, and what it accepts is exactly what the full validator
/// returns for the same bytes (`TelemetryFastPathTests` compares the two on generated and mutated envelopes).
///
/// Why: `perf` of `farmiq-edge bench ingest` put building and then freeing the JSON tree at about a sixth of the
/// gateway's CPU, for envelopes that are almost all of this one shape.
struct TelemetryFastPath {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// The message, or `nil` when the envelope is not of the common shape or is not valid (the full validator
    /// then decides). `payload` has passed the size and UTF-8 checks; `topic` is a telemetry topic.
    static func message(
        topic: IngestTopic, payload: [UInt8], receivedAt: Timestamp, validator: EnvelopeValidator
    ) -> TelemetryMessage? {
        payload.withUnsafeBufferPointer { buffer in
            var scanner = TelemetryFastPath(bytes: buffer)
            return scanner.scan(topic: topic, receivedAt: receivedAt, validator: validator)
        }
    }

    // MARK: The envelope

    private mutating func scan(topic: IngestTopic, receivedAt: Timestamp, validator: EnvelopeValidator) -> TelemetryMessage? {
        var version: Range<Int>?
        var eventID: Range<Int>?
        var eventType: Range<Int>?
        var occurredAt: Range<Int>?
        var traceID: Range<Int>?
        var traceSeen = false
        var payload: (range: Range<Int>, readings: [Reading])?
        var addressSeen: UInt8 = 0  // bit n: address part n was present

        skipWhitespace()
        let envelope = object { scanner, key in
            switch Key(scanner.bytes, key) {
            case .schemaVersion:
                guard version == nil, let range = scanner.number() else { return false }
                version = range
                return true
            case .eventID: return scanner.string(once: &eventID)
            case .eventType: return scanner.string(once: &eventType)
            case .occurredAt: return scanner.string(once: &occurredAt)
            case .traceID: return scanner.stringOrNull(once: &traceID, seen: &traceSeen)
            case .address(let part):
                // Present only to repeat the topic: must equal it.
                let bit: UInt8 = 1 << part
                guard addressSeen & bit == 0, let range = scanner.plainString(), scanner.equals(range, topic.address.part(part))
                else { return false }
                addressSeen |= bit
                return true
            case .payload:
                guard payload == nil, let scanned = scanner.readingsPayload() else { return false }
                payload = scanned
                return true
            case .other:
                return false
            }
        }
        guard envelope else { return nil }
        skipWhitespace()
        guard index == bytes.count else { return nil }

        // The full validator's rules, each a bail-out here: its rejection text is the one a device sees.
        guard let version, let eventID, let eventType, let occurredAt, let payload else { return nil }
        guard let versionValue = Double(text(version)),
            let versionNumber = JSONNumber(text: text(version), value: versionValue).integerValue,
            EnvelopeValidator.supportedSchemaVersions.contains(versionNumber)
        else { return nil }
        guard equals(eventType, TelemetryFastPath.telemetryType) else { return nil }
        let eventIDText = text(eventID)
        guard Identifier.isValidUUID(eventIDText) else { return nil }
        guard let occurred = Timestamp(rfc3339Bytes: UnsafeBufferPointer(rebasing: bytes[occurredAt])) else { return nil }
        let skew = occurred.millisecondsSinceEpoch - receivedAt.millisecondsSinceEpoch
        guard skew <= validator.maxClockAheadMilliseconds, -skew <= validator.maxEventAgeMilliseconds else { return nil }
        var trace: String?
        if let traceID {
            let value = text(traceID)
            guard Identifier.isValidTraceID(value) else { return nil }
            trace = value
        }
        let header = EnvelopeHeader(
            schemaVersion: versionNumber, eventID: eventIDText, eventType: "telemetry.reading", occurredAt: occurred, traceID: trace)
        return TelemetryMessage(
            address: topic.address, header: header, readings: payload.readings,
            payloadJSON: String(decoding: UnsafeBufferPointer(rebasing: bytes[payload.range]), as: UTF8.self),
            receivedAt: receivedAt)
    }

    private static let telemetryType = Array("telemetry.reading".utf8)

    // MARK: The payload

    /// `{"readings": [ … ]}` and nothing else; its byte range and readings, checked as ``TelemetryPayload`` does.
    private mutating func readingsPayload() -> (range: Range<Int>, readings: [Reading])? {
        let start = index
        var readings: [Reading]?
        let payload = object { scanner, key in
            guard readings == nil, scanner.equals(key, TelemetryFastPath.readingsKey) else { return false }
            readings = scanner.readingsArray()
            return readings != nil
        }
        guard payload, let readings else { return nil }
        return (start..<index, readings)
    }

    /// `[reading, …]`: 1 to ``EnvelopeValidator/maxReadings`` valid readings, or `nil`.
    private mutating func readingsArray() -> [Reading]? {
        guard take(UInt8(ascii: "[")) else { return nil }
        var readings: [Reading] = []
        readings.reserveCapacity(4)
        while true {
            skipWhitespace()
            guard readings.count < EnvelopeValidator.maxReadings, let reading = reading() else { return nil }
            readings.append(reading)
            skipWhitespace()
            if take(UInt8(ascii: ",")) { continue }
            return take(UInt8(ascii: "]")) ? readings : nil
        }
    }

    /// `{"metric": …, "value": …, "unit": …}` in any order, `unit` optional or `null`; valid per contract or `nil`.
    private mutating func reading() -> Reading? {
        var metric: Range<Int>?
        var value: Double?
        var unit: Range<Int>?
        var unitSeen = false
        let members = object { scanner, key in
            if scanner.equals(key, TelemetryFastPath.metricKey) { return scanner.string(once: &metric) }
            if scanner.equals(key, TelemetryFastPath.unitKey) { return scanner.stringOrNull(once: &unit, seen: &unitSeen) }
            guard scanner.equals(key, TelemetryFastPath.valueKey), value == nil, let range = scanner.number(),
                let parsed = Double(scanner.text(range)), parsed.isFinite
            else { return false }
            value = parsed
            return true
        }
        // A unit is 1–32 printable characters (plain strings here are printable ASCII).
        guard members, let metric, let value, unit.map({ !$0.isEmpty && $0.count <= 32 }) ?? true else { return nil }
        let name = text(metric)
        guard Identifier.isValidMetricName(name) else { return nil }
        return Reading(metric: name, value: value, unit: unit.map(text))
    }

    private static let readingsKey = Array("readings".utf8)
    private static let metricKey = Array("metric".utf8)
    private static let valueKey = Array("value".utf8)
    private static let unitKey = Array("unit".utf8)

    // MARK: Tokens

    /// An object from the current `{` to its `}`: `member` reads the value of each member (the scanner is at the
    /// value, past the key and colon) and returns `false` to decline the whole envelope. `false` also for bad syntax.
    private mutating func object(_ member: (inout TelemetryFastPath, Range<Int>) -> Bool) -> Bool {
        guard take(UInt8(ascii: "{")) else { return false }
        while true {
            skipWhitespace()
            guard let key = plainString() else { return false }
            skipWhitespace()
            guard take(UInt8(ascii: ":")) else { return false }
            skipWhitespace()
            guard member(&self, key) else { return false }
            skipWhitespace()
            if take(UInt8(ascii: ",")) { continue }
            return take(UInt8(ascii: "}"))
        }
    }

    /// A plain string into `slot`, which must still be empty (a member named twice is declined).
    private mutating func string(once slot: inout Range<Int>?) -> Bool {
        guard slot == nil, let range = plainString() else { return false }
        slot = range
        return true
    }

    /// `null` (leaves `slot` empty) or a plain string into `slot`; the member must not have been `seen` before.
    private mutating func stringOrNull(once slot: inout Range<Int>?, seen: inout Bool) -> Bool {
        guard !seen else { return false }
        seen = true
        return literalNull() || string(once: &slot)
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func literalNull() -> Bool {
        guard index + 4 <= bytes.count, bytes[index] == UInt8(ascii: "n"), bytes[index + 1] == UInt8(ascii: "u"),
            bytes[index + 2] == UInt8(ascii: "l"), bytes[index + 3] == UInt8(ascii: "l")
        else { return false }
        index += 4
        return true
    }

    /// A string of printable ASCII without escapes; the range of its contents. `nil` for anything else.
    private mutating func plainString() -> Range<Int>? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return start..<(index - 1)
            }
            guard byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\") else { return nil }
            index += 1
        }
        return nil
    }

    /// A JSON number (the grammar of ``JSONParser``, at most 64 characters); its range.
    private mutating func number() -> Range<Int>? {
        let start = index
        func digits(_ scanner: inout TelemetryFastPath) -> Bool {
            let first = scanner.index
            while scanner.index < scanner.bytes.count, scanner.bytes[scanner.index] >= 0x30, scanner.bytes[scanner.index] <= 0x39 {
                scanner.index += 1
            }
            return scanner.index > first
        }
        _ = take(UInt8(ascii: "-"))
        if take(UInt8(ascii: "0")) {
            // A leading zero stands alone.
        } else if !digits(&self) {
            return nil
        }
        if take(UInt8(ascii: ".")), !digits(&self) { return nil }
        if take(UInt8(ascii: "e")) || take(UInt8(ascii: "E")) {
            if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
            guard digits(&self) else { return nil }
        }
        guard index - start <= 64 else { return nil }
        return start..<index
    }

    private func equals(_ range: Range<Int>, _ expected: [UInt8]) -> Bool {
        range.count == expected.count && bytes[range].elementsEqual(expected)
    }

    private func equals(_ range: Range<Int>, _ expected: String) -> Bool {
        bytes[range].elementsEqual(expected.utf8)
    }

    private func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// The envelope's member names.
    private enum Key {
        case schemaVersion, eventID, eventType, occurredAt, traceID, payload, other
        /// `tenant_id` (0), `farm_id` (1), `barn_id` (2), `device_id` (3).
        case address(Int)

        init(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
            let name = bytes[range]
            switch name.count {
            case 14 where name.elementsEqual("schema_version".utf8): self = .schemaVersion
            case 8 where name.elementsEqual("event_id".utf8): self = .eventID
            case 10 where name.elementsEqual("event_type".utf8): self = .eventType
            case 11 where name.elementsEqual("occurred_at".utf8): self = .occurredAt
            case 8 where name.elementsEqual("trace_id".utf8): self = .traceID
            case 7 where name.elementsEqual("payload".utf8): self = .payload
            case 9 where name.elementsEqual("tenant_id".utf8): self = .address(0)
            case 7 where name.elementsEqual("farm_id".utf8): self = .address(1)
            case 7 where name.elementsEqual("barn_id".utf8): self = .address(2)
            case 9 where name.elementsEqual("device_id".utf8): self = .address(3)
            default: self = .other
            }
        }
    }
}

extension DeviceAddress {
    /// `tenantID` (0), `farmID` (1), `barnID` (2), `deviceID` (3).
    fileprivate func part(_ index: Int) -> String {
        switch index {
        case 0: tenantID
        case 1: farmID
        case 2: barnID
        default: deviceID
        }
    }
}
