import Testing
@testable import FarmIQCore

@Suite("OutboxEvent body (cloud contract §4)")
struct OutboxEventTests {
    static let cloudFields = [
        "tenant_id", "farm_id", "barn_id", "device_id", "event_id", "event_type", "occurred_at", "schema_version", "trace_id", "payload",
    ]

    private func members(_ body: String) throws -> [(String, JSONValue)] {
        guard case .object(let members) = try JSONParser.parse(body) else {
            Issue.record("body is not an object: \(body)")
            return []
        }
        return members
    }

    @Test("telemetry: valid JSON with every field of the cloud event, payload preserved")
    func telemetry() throws {
        let payload = #"{"readings":[{"metric":"temperature","value":24.300,"unit":"celsius"},{"metric":"h","value":1E2}]}"#
        let envelope = Fixture.envelope(payload: payload, set: [("occurred_at", #""2026-11-29T10:18:42.123999+05:30""#)])
        guard case .telemetry(let message) = try Fixture.validate(Fixture.telemetryTopic, envelope).get() else {
            Issue.record("not telemetry")
            return
        }
        let outbox = OutboxEvent(message)
        let fields = try members(outbox.body)
        #expect(fields.map(\.0) == OutboxEventTests.cloudFields)
        let body = try JSONParser.parse(outbox.body)
        #expect(body["tenant_id"] == .string(Fixture.tenant))
        #expect(body["farm_id"] == .string(Fixture.farm))
        #expect(body["barn_id"] == .string(Fixture.barn))
        #expect(body["device_id"] == .string(Fixture.device))
        #expect(body["event_id"] == .string(Fixture.eventID))
        #expect(body["event_type"] == .string("telemetry.reading"))
        #expect(body["occurred_at"] == .string(Fixture.occurredAt))
        #expect(body["schema_version"] == .number(JSONNumber(text: "1", value: 1)))
        #expect(body["trace_id"] == .string(Fixture.traceID))
        #expect(body["payload"] == (try JSONParser.parse(payload)))
        // Number text is kept byte for byte.
        #expect(outbox.body.contains(#""value":24.300,"#))
        #expect(outbox.body.contains(#""value":1E2}"#))
        #expect(outbox.tenantID == Fixture.tenant)
        #expect(outbox.eventID == Fixture.eventID)
        #expect(outbox.eventType == "telemetry.reading")
        #expect(outbox.occurredAt.millisecondsSinceEpoch == Fixture.occurredAtMS)
    }

    @Test("event without trace_id: the field is present and null; the topic's ids win")
    func eventWithoutTrace() throws {
        let payload = #"{"status":"online","note":"\u2028 \"quoted\" \\ </script>","n":[1.50,-0]}"#
        let envelope = Fixture.envelope("device.status", payload: payload, remove: ["trace_id"])
        guard case .event(let event) = try Fixture.validate(Fixture.eventTopic, envelope).get() else {
            Issue.record("not an event")
            return
        }
        let outbox = OutboxEvent(event)
        let fields = try members(outbox.body)
        #expect(fields.map(\.0) == OutboxEventTests.cloudFields)
        let body = try JSONParser.parse(outbox.body)
        #expect(body["trace_id"] == .null)
        #expect(body["payload"] == (try JSONParser.parse(payload)))
        #expect(outbox.body.contains(#""n":[1.50,-0]"#))
    }

    @Test("the payload is forwarded as the bytes it arrived in, whitespace and escapes included")
    func payloadSplicedVerbatim() throws {
        // A nested member also named "payload" must not be mistaken for the envelope's.
        let payload = "{ \"status\" : \"online\",\n  \"payload\": {\"x\": \"\\u00e9\"} , \"n\":[ 1.0 ,2 ] }"
        let envelope = Fixture.envelope("device.status", payload: payload)
        guard case .event(let event) = try Fixture.validate(Fixture.eventTopic, envelope).get() else {
            Issue.record("not an event")
            return
        }
        #expect(event.payloadJSON == payload)
        let outbox = OutboxEvent(event)
        #expect(outbox.body.hasSuffix(",\"payload\":" + payload + "}"))
        #expect(try JSONParser.parse(outbox.body)["payload"] == (try JSONParser.parse(payload)))
    }

    @Test("the parser reports the range of a top-level member only")
    func capturedRange() throws {
        let text = #"{"a": {"payload": 1}, "payload" :  [1, {"payload": 2}] , "z": 0}"#
        let bytes = Array(text.utf8)
        let (value, range) = try JSONParser.parse(bytes, capturingTopLevelMember: "payload")
        #expect(value["z"] != nil)
        let captured = try #require(range)
        #expect(String(decoding: bytes[captured], as: UTF8.self) == #"[1, {"payload": 2}]"#)
        #expect(try JSONParser.parse(Array("[1]".utf8), capturingTopLevelMember: "payload").memberRange == nil)
        #expect(try JSONParser.parse(Array(#"{"x":{"payload":1}}"#.utf8), capturingTopLevelMember: "payload").memberRange == nil)
    }

    @Test("hostile strings in every field are escaped: the body stays one valid JSON object")
    func hostileStrings() throws {
        let hostile = "x\",\"tenant_id\":\"evil\"}\n\u{0}\\"
        let header = EnvelopeHeader(
            schemaVersion: 1, eventID: hostile, eventType: hostile,
            occurredAt: Timestamp(millisecondsSinceEpoch: 0), traceID: hostile)
        let payload = JSONValue.object([(hostile, .string(hostile)), ("k", .array([.string("\u{1F}\u{7F}")]))])
        let outbox = OutboxEvent(address: Fixture.address, header: header, payloadJSON: JSONWriter.write(payload))
        let fields = try members(outbox.body)
        #expect(fields.map(\.0) == OutboxEventTests.cloudFields)
        let body = try JSONParser.parse(outbox.body)
        #expect(body["tenant_id"] == .string(Fixture.tenant))
        #expect(body["event_id"] == .string(hostile))
        #expect(body["event_type"] == .string(hostile))
        #expect(body["trace_id"] == .string(hostile))
        #expect(body["payload"] == payload)
        #expect(!outbox.body.contains("\n"))
    }

    @Test("explicit body initializer stores what it is given")
    func plainInit() {
        let event = OutboxEvent(tenantID: "t", eventID: "e", eventType: "a.b", occurredAt: Timestamp(millisecondsSinceEpoch: 5), body: "{}")
        #expect(event.body == "{}")
        #expect(event == OutboxEvent(tenantID: "t", eventID: "e", eventType: "a.b", occurredAt: Timestamp(millisecondsSinceEpoch: 5), body: "{}"))
    }
}
