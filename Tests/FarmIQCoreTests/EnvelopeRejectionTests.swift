import Testing
@testable import FarmIQCore

private let T = Fixture.telemetryTopic
private let E = Fixture.eventTopic
private let S = Fixture.sessionID

@Suite("EnvelopeValidator: rejections and their reasons")
struct EnvelopeRejectionTests {
    @Test("invalid JSON, including NaN and Infinity literals", arguments: [
        "", "{", "not json", "{\"schema_version\":1,}", "[1,]",
        Fixture.envelope(payload: #"{"readings":[{"metric":"t","value":NaN}]}"#),
        Fixture.envelope(payload: #"{"readings":[{"metric":"t","value":Infinity}]}"#),
        Fixture.envelope(payload: #"{"readings":[{"metric":"t","value":-Infinity}]}"#),
        Fixture.envelope(payload: #"{"readings":[{"metric":"t","value":01}]}"#),
        Fixture.envelope() + "x",
        Fixture.envelope() + "{}",
        String(repeating: "[", count: 60_000), // a depth bomb within the size limit
    ])
    func invalidJSON(_ payload: String) {
        #expect(Fixture.reason(T, payload) == .invalidJSON)
    }

    @Test("non-UTF-8 payloads")
    func invalidUTF8() {
        let valid = Array(Fixture.envelope().utf8)
        #expect(Fixture.reason(T, valid + [0xFF]) == .invalidUTF8)
        #expect(Fixture.reason(T, [0xFE, 0xFF] + valid) == .invalidUTF8)
        let inString = Array(Fixture.envelope(set: [("note", "\"a\u{1}b\"")]).utf8).map { $0 == 0x01 ? 0xC0 : $0 }
        #expect(Fixture.reason(T, inString) == .invalidUTF8)
        #expect(Fixture.reason(T, [0xED, 0xA0, 0x80]) == .invalidUTF8) // encoded surrogate
    }

    @Test("envelope ids that differ from the topic", arguments: ["tenant_id", "farm_id", "barn_id", "device_id"])
    func topicMismatch(_ field: String) {
        #expect(Fixture.reason(T, Fixture.envelope(set: [(field, #""other""#)])) == .topicMismatch)
        // Ids are case-sensitive.
        let topicValue = ["tenant_id": Fixture.tenant, "farm_id": Fixture.farm, "barn_id": Fixture.barn, "device_id": Fixture.device][field]!
        #expect(Fixture.reason(E, Fixture.envelope("a.b", payload: "{}", set: [(field, "\"\(topicValue.uppercased())\"")])) == .topicMismatch)
        // Wrong type is an envelope error.
        #expect(Fixture.reason(T, Fixture.envelope(set: [(field, "7")])) == .invalidEnvelope)
        #expect(Fixture.reason(T, Fixture.envelope(set: [(field, "null")])) == .invalidEnvelope)
    }

    @Test("bad ids in the topic", arguments: [
        "farmiq/v1/../farm/barn/dev/telemetry",
        "farmiq/v1/tenant/./barn/dev/telemetry",
        "farmiq/v1/tenant/farm/ba\\rn/dev/telemetry",
        "farmiq/v1/tenant/farm/barn/de v/telemetry",
        "farmiq/v1/tenant/farm/barn/dev\0/telemetry",
        "farmiq/v1/+/farm/barn/dev/telemetry",
        "farmiq/v1/tenant/#/barn/dev/event",
        "farmiq/v1/tenant/farm/barn/+/event",
        "farmiq/v1/\(String(repeating: "t", count: 65))/farm/barn/dev/telemetry",
        "farmiq/v1/tenant/farm/barn/\(String(repeating: "d", count: 65))/telemetry",
        "farmiq/v1//farm/barn/dev/telemetry",
        "farmiq/v1/tenant/farm/barn/dév/telemetry",
        "farmiq/v1/tenant/farm/b\u{0430}rn/dev/telemetry",
    ])
    func badTopicIDs(_ topic: String) {
        #expect(Fixture.reason(topic, Fixture.envelope()) == .invalidID)
    }

    @Test("topics of the wrong shape", arguments: [
        "", "farmiq", "farmiq/v1", "farmiq/v2/t/f/b/d/telemetry", "FarmIQ/v1/t/f/b/d/telemetry", "x/v1/t/f/b/d/telemetry",
        "farmiq/v1/t/f/b/telemetry", "farmiq/v1/t/f/b/d/e/telemetry", "farmiq/v1/t/f/b/d/telemetry/", "/farmiq/v1/t/f/b/d/telemetry",
        "farmiq/v1/t/f/b/d/status", "farmiq/v1/t/f/b/d/Telemetry", "farmiq/v1/t/f/b/d/events", "farmiq/v1/t/f/b/d/#",
        "farmiq/v1/t/f/b/d/", "farmiq/v1/t/f/b/d",
        "farmiq/v1/t/f/b/" + String(repeating: "d", count: 400) + "/telemetry",
    ])
    func badTopicShape(_ topic: String) {
        #expect(Fixture.reason(topic, Fixture.envelope()) == .invalidTopic)
    }

    @Test("wrong JSON types for each envelope field")
    func wrongTypes() {
        #expect(Fixture.reason(T, "[]") == .invalidEnvelope)
        #expect(Fixture.reason(T, "\"x\"") == .invalidEnvelope)
        #expect(Fixture.reason(T, "null") == .invalidEnvelope)
        #expect(Fixture.reason(T, "{}") == .invalidEnvelope)
        for (field, bad) in [
            ("schema_version", "\"1\""), ("schema_version", "true"), ("schema_version", "null"), ("schema_version", "[1]"),
            ("event_id", "1"), ("event_id", "null"), ("event_id", "[\"\(Fixture.eventID)\"]"),
            ("event_type", "1"), ("event_type", "null"), ("event_type", "{}"),
            ("occurred_at", "1795927722123"), ("occurred_at", "null"),
            ("trace_id", "1"), ("trace_id", "{}"),
            ("payload", "\"x\""), ("payload", "[]"), ("payload", "null"), ("payload", "1"),
        ] {
            #expect(Fixture.reason(T, Fixture.envelope(set: [(field, bad)])) == .invalidEnvelope, "\(field): \(bad)")
        }
        for field in ["schema_version", "event_id", "event_type", "occurred_at", "payload"] {
            #expect(Fixture.reason(T, Fixture.envelope(remove: [field])) == .invalidEnvelope, "missing \(field)")
        }
    }

    @Test("bad event_id and trace_id values", arguments: [
        ("event_id", "\"0193A3C1-7B2E-7C3A-9F4D-2B8E5A1C0D11\""), ("event_id", "\"{0193a3c1-7b2e-7c3a-9f4d-2b8e5a1c0d11}\""),
        ("event_id", "\"0193a3c17b2e7c3a9f4d2b8e5a1c0d11\""), ("event_id", "\"../x\""), ("event_id", "\"\""),
        ("trace_id", "\"4BF92F3577B34DA6A3CE929D0E0E4736\""), ("trace_id", "\"00000000000000000000000000000000\""),
        ("trace_id", "\"4bf92f35\""), ("trace_id", "\"\""),
    ])
    func badIDs(_ field: String, _ value: String) {
        #expect(Fixture.reason(T, Fixture.envelope(set: [(field, value)])) == .invalidID)
    }

    @Test("bad occurred_at", arguments: [
        "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-29T24:00:00Z", "2026-11-29T04:48:42", "1969-12-31T23:59:59Z",
        "2026-11-29", "yesterday", "",
    ])
    func badOccurredAt(_ text: String) {
        #expect(Fixture.reason(T, Fixture.envelope(set: [("occurred_at", "\"\(text)\"")])) == .invalidTimestamp)
    }

    @Test("unknown schema versions")
    func schemaVersion() {
        for version in ["2", "0", "-1", "1.5", "1e400", "100000000000000000000"] {
            #expect(Fixture.reason(T, Fixture.envelope(set: [("schema_version", version)])) == .unsupportedSchemaVersion, "\(version)")
        }
        // A string is the wrong type, not a version.
        #expect(Fixture.reason(T, Fixture.envelope(set: [("schema_version", "\"1\"")])) == .invalidEnvelope)
    }

    @Test("event types on the wrong topic kind, and malformed event types")
    func eventTypes() {
        #expect(Fixture.reason(E, Fixture.envelope()) == .invalidEventType)
        #expect(Fixture.reason(T, Fixture.envelope("device.status", payload: #"{"status":"online"}"#)) == .invalidEventType)
        #expect(Fixture.reason(T, Fixture.envelope("a.b", payload: Fixture.telemetryPayload)) == .invalidEventType)
        for type in ["telemetry", "Telemetry.Reading", "a..b", "a.b.", "a b.c", ""] {
            #expect(Fixture.reason(E, Fixture.envelope(type, payload: "{}")) == .invalidEventType, "\(type)")
        }
    }

    @Test("payloads over 64 KiB")
    func tooLarge() {
        let base = Fixture.envelope()
        let padded = base + String(repeating: " ", count: 65_537 - base.utf8.count)
        #expect(padded.utf8.count == 65_537)
        #expect(Fixture.reason(T, padded) == .payloadTooLarge)
        #expect(Fixture.reason(T, [UInt8](repeating: 0xFF, count: 1 << 20)) == .payloadTooLarge)
    }

    @Test("reading counts outside 1...100", arguments: [0, 101, 1000])
    func readingCounts(_ count: Int) {
        #expect(Fixture.reason(T, Fixture.envelope(payload: Fixture.readingsPayload(count: count))) == .invalidReading)
    }

    @Test("non-finite reading values written as huge numbers", arguments: ["1e999", "-1e999", "1e400"])
    func nonFinite(_ value: String) {
        #expect(Fixture.reason(T, Fixture.envelope(payload: #"{"readings":[{"metric":"t","value":\#(value)}]}"#)) == .invalidReading)
    }

    @Test("malformed readings", arguments: [
        #"{"readings":[1]}"#, #"{"readings":[[]]}"#, #"{"readings":[{"value":1}]}"#, #"{"readings":[{"metric":"t"}]}"#,
        #"{"readings":[{"metric":"Temp","value":1}]}"#, #"{"readings":[{"metric":"t/../x","value":1}]}"#,
        #"{"readings":[{"metric":7,"value":1}]}"#, #"{"readings":[{"metric":"t","value":"1"}]}"#,
        #"{"readings":[{"metric":"t","value":null}]}"#, #"{"readings":[{"metric":"t","value":true}]}"#,
        #"{"readings":[{"metric":"t","value":1,"unit":7}]}"#, #"{"readings":[{"metric":"t","value":1,"unit":""}]}"#,
        #"{"readings":[{"metric":"t","value":1,"unit":"a\nb"}]}"#,
        #"{"readings":[{"metric":"t","value":1,"unit":"\#(String(repeating: "u", count: 33))"}]}"#,
        #"{"readings":[{"metric":"t","value":1},{"metric":"u","value":"NaN"}]}"#,
    ])
    func badReadings(_ payload: String) {
        #expect(Fixture.reason(T, Fixture.envelope(payload: payload)) == .invalidReading)
    }

    @Test("telemetry payload without a readings array", arguments: [#"{}"#, #"{"readings":{}}"#, #"{"readings":"x"}"#, #"{"Readings":[]}"#])
    func noReadings(_ payload: String) {
        #expect(Fixture.reason(T, Fixture.envelope(payload: payload)) == .invalidPayload)
    }

    @Test("bad event payloads", arguments: [
        ("weighvision.session.started", #"{}"#, RejectReason.invalidID),
        ("weighvision.session.started", #"{"session_id":"NOT-A-UUID"}"#, .invalidID),
        ("weighvision.session.started", #"{"session_id":"\#(S)","station_id":"st/1"}"#, .invalidID),
        ("weighvision.session.started", #"{"session_id":"\#(S)","station_id":7}"#, .invalidID),
        ("weighvision.session.started", #"{"session_id":"\#(S)","animal":"\#(String(repeating: "a", count: 65))"}"#, .invalidPayload),
        ("weighvision.session.started", #"{"session_id":"\#(S)","expected_count":-1}"#, .invalidPayload),
        ("weighvision.session.started", #"{"session_id":"\#(S)","expected_count":1.5}"#, .invalidPayload),
        ("weighvision.session.started", #"{"session_id":"\#(S)","expected_count":"1"}"#, .invalidPayload),
        ("weighvision.weight.reading", #"{"seq":0,"weight_kg":2.3}"#, .invalidID),
        ("weighvision.weight.reading", #"{"session_id":"\#(S)","weight_kg":2.3}"#, .invalidPayload),
        ("weighvision.weight.reading", #"{"session_id":"\#(S)","seq":-1,"weight_kg":2.3}"#, .invalidPayload),
        ("weighvision.weight.reading", #"{"session_id":"\#(S)","seq":0.5,"weight_kg":2.3}"#, .invalidPayload),
        ("weighvision.weight.reading", #"{"session_id":"\#(S)","seq":0}"#, .invalidPayload),
        ("weighvision.weight.reading", #"{"session_id":"\#(S)","seq":0,"weight_kg":1e999}"#, .invalidPayload),
        ("weighvision.weight.reading", #"{"session_id":"\#(S)","seq":0,"weight_kg":-0.1}"#, .invalidPayload),
        ("weighvision.weight.reading", #"{"session_id":"\#(S)","seq":0,"weight_kg":"2.3"}"#, .invalidPayload),
        ("weighvision.weight.reading", #"{"session_id":"\#(S)","seq":0,"weight_kg":2.3,"stable":"yes"}"#, .invalidPayload),
        ("weighvision.session.ended", #"{"reason":"completed"}"#, .invalidID),
        ("weighvision.session.ended", #"{"session_id":"\#(S)","reason":"aborted"}"#, .invalidPayload),
        ("weighvision.session.ended", #"{"session_id":"\#(S)","reason":"Completed"}"#, .invalidPayload),
        ("device.status", #"{}"#, .invalidPayload),
        ("device.status", #"{"status":1}"#, .invalidPayload),
    ])
    func badEventPayloads(_ eventType: String, _ payload: String, _ reason: RejectReason) {
        #expect(Fixture.reason(E, Fixture.envelope(eventType, payload: payload)) == reason)
    }

    @Test("the topic is checked before the size and the body")
    func checkOrder() {
        #expect(Fixture.reason("bad/topic", [UInt8](repeating: 0xFF, count: 70_000)) == .invalidTopic)
        #expect(Fixture.reason(T, [UInt8](repeating: 0xFF, count: 70_000)) == .payloadTooLarge)
    }

    /// The device-clock rule (README "Device clocks"): at most 5 minutes ahead of the edge's receipt, at most
    /// the maximum age (30 days by default) behind it; the bounds themselves are accepted.
    @Test("device clocks: far future is clock_ahead, older than the maximum age is too_old, the bounds pass",
          arguments: [
              ("2099-01-01T00:00:00Z", RejectReason.clockAhead as RejectReason?),
              ("2026-11-29T04:55:00.001Z", .clockAhead),    // 5 min + 1 ms ahead of receipt (04:50:00)
              ("2026-11-29T04:55:00Z", nil),                // exactly 5 min ahead
              ("2026-10-30T04:50:00Z", nil),                // exactly 30 days before
              ("2026-10-30T04:49:59.999Z", .tooOld),
              ("1970-01-01T00:00:00Z", .tooOld),            // a device without an RTC battery
          ])
    func deviceClock(_ occurredAt: String, _ reason: RejectReason?) {
        let envelope = Fixture.envelope(set: [("occurred_at", "\"\(occurredAt)\"")])
        #expect(Fixture.reason(T, envelope) == reason)
        if case .failure(let rejection) = Fixture.validate(T, envelope), rejection.reason == .clockAhead {
            #expect((rejection.clockAheadSeconds ?? 0) > 300)
        }
    }

    @Test("the maximum age is configurable; the event-id horizon covers it")
    func maximumAge() {
        let validator = EnvelopeValidator(maxEventAgeDays: 2)
        #expect(validator.eventIDHorizonMilliseconds == 2 * 86_400_000 + 300_000 + 3_600_000)
        let old = Fixture.envelope(set: [("occurred_at", "\"2026-11-26T04:49:59Z\"")])
        #expect((try? validator.validateThrowing(topic: T, payload: Array(old.utf8), receivedAt: Fixture.receivedAt)) == nil)
    }

    @Test("rejection details name the problem and the reason raw values are stable")
    func details() {
        let rejection = IngestRejection(.invalidReading, "x")
        #expect(rejection.description == "invalid_reading: x")
        #expect(RejectReason.allCases.map(\.rawValue) == [
            "invalid_topic", "payload_too_large", "invalid_utf8", "invalid_json", "invalid_envelope",
            "unsupported_schema_version", "invalid_id", "topic_mismatch", "invalid_timestamp", "invalid_event_type",
            "invalid_payload", "invalid_reading", "clock_ahead", "too_old", "commit_failed",
        ])
    }

    @Test("IngestReject keeps only the first 4 KiB of the payload and a bounded topic")
    func ingestReject() {
        let reject = IngestReject(
            topic: String(repeating: "t", count: 2000), tenantID: nil, reason: .payloadTooLarge, detail: "d",
            payload: [UInt8](repeating: 7, count: 70_000), receivedAt: Fixture.receivedAt)
        #expect(reject.payloadPrefix.count == 4096)
        #expect(reject.payloadSize == 70_000)
        #expect(reject.topic.count == 512)
    }
}
