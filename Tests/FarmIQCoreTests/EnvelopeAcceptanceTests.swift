import Testing
@testable import FarmIQCore

@Suite("EnvelopeValidator: accepted messages")
struct EnvelopeAcceptanceTests {
    @Test("a valid telemetry message")
    func telemetry() throws {
        let message = try Fixture.validate(Fixture.telemetryTopic, Fixture.envelope()).get()
        guard case .telemetry(let telemetry) = message else { Issue.record("not telemetry"); return }
        #expect(telemetry.address == Fixture.address)
        #expect(message.address == Fixture.address)
        #expect(telemetry.header == EnvelopeHeader(
            schemaVersion: 1, eventID: Fixture.eventID, eventType: "telemetry.reading",
            occurredAt: Timestamp(millisecondsSinceEpoch: Fixture.occurredAtMS), traceID: Fixture.traceID))
        #expect(message.header.eventID == Fixture.eventID)
        #expect(telemetry.readings == [
            Reading(metric: "temperature", value: 24.3, unit: "celsius"),
            Reading(metric: "humidity", value: 61, unit: nil),
        ])
        #expect(telemetry.receivedAt == Fixture.receivedAt)
        #expect(telemetry.payload == (try JSONParser.parse(Fixture.telemetryPayload)))
    }

    @Test("trace_id is optional and may be null")
    func traceOptional() throws {
        let withoutTrace = try Fixture.validate(Fixture.telemetryTopic, Fixture.envelope(remove: ["trace_id"])).get()
        #expect(withoutTrace.header.traceID == nil)
        let nullTrace = try Fixture.validate(Fixture.telemetryTopic, Fixture.envelope(set: [("trace_id", "null")])).get()
        #expect(nullTrace.header.traceID == nil)
    }

    @Test("ids repeated in the envelope that match the topic are accepted")
    func matchingIDs() {
        let payload = Fixture.envelope(set: [
            ("tenant_id", "\"\(Fixture.tenant)\""), ("farm_id", "\"\(Fixture.farm)\""),
            ("barn_id", "\"\(Fixture.barn)\""), ("device_id", "\"\(Fixture.device)\""),
        ])
        #expect(Fixture.reason(Fixture.telemetryTopic, payload) == nil)
    }

    @Test("unknown top-level fields are ignored")
    func unknownFields() {
        let payload = Fixture.envelope(set: [
            ("firmware", #""1.2.3""#), ("extra", #"{"nested":[1,2,{"x":null}]}"#), ("n", "1e999"), ("schema", "\"2\""),
        ])
        #expect(Fixture.reason(Fixture.telemetryTopic, payload) == nil)
    }

    @Test("occurred_at with an offset is stored in UTC")
    func offsetOccurredAt() throws {
        let message = try Fixture.validate(
            Fixture.telemetryTopic, Fixture.envelope(set: [("occurred_at", #""2026-11-28T20:48:42.123456-08:00""#)])).get()
        #expect(message.header.occurredAt.millisecondsSinceEpoch == Fixture.occurredAtMS)
    }

    @Test("1 and 100 readings are accepted", arguments: [1, 100])
    func readingBounds(_ count: Int) throws {
        let message = try Fixture.validate(Fixture.telemetryTopic, Fixture.envelope(payload: Fixture.readingsPayload(count: count))).get()
        guard case .telemetry(let telemetry) = message else { Issue.record("not telemetry"); return }
        #expect(telemetry.readings.count == count)
    }

    @Test("reading values: negative, zero, exponent forms, and a unit of 32 bytes")
    func readingValues() throws {
        let payload = #"{"readings":[{"metric":"a","value":-40.5},{"metric":"b","value":0},{"metric":"c","value":1.5E2,"unit":null},{"metric":"d","value":1,"unit":"\#(String(repeating: "u", count: 32))"}]}"#
        let message = try Fixture.validate(Fixture.telemetryTopic, Fixture.envelope(payload: payload)).get()
        guard case .telemetry(let telemetry) = message else { Issue.record("not telemetry"); return }
        #expect(telemetry.readings.map(\.value) == [-40.5, 0, 150, 1])
        #expect(telemetry.readings[2].unit == nil)
    }

    @Test("device.status: free-form payload kept as is")
    func deviceStatus() throws {
        let payload = #"{"status":"online","battery":0.87,"fw":{"version":"1.2","flags":[1,2]},"rssi":-61}"#
        let message = try Fixture.validate(Fixture.eventTopic, Fixture.envelope("device.status", payload: payload)).get()
        guard case .event(let event) = message else { Issue.record("not an event"); return }
        #expect(event.header.eventType == "device.status")
        #expect(event.address == Fixture.address)
        #expect(JSONWriter.write(event.payload) == payload)
    }

    @Test("weighvision events of contracts §2", arguments: [
        ("weighvision.session.started", #"{"session_id":"\#(Fixture.sessionID)","station_id":"st-1","animal":"broiler","expected_count":1}"#),
        ("weighvision.session.started", #"{"session_id":"\#(Fixture.sessionID)"}"#),
        ("weighvision.session.started", #"{"session_id":"\#(Fixture.sessionID)","station_id":null,"animal":null,"expected_count":0}"#),
        ("weighvision.weight.reading", #"{"session_id":"\#(Fixture.sessionID)","seq":0,"weight_kg":2.314,"stable":true}"#),
        ("weighvision.weight.reading", #"{"session_id":"\#(Fixture.sessionID)","seq":17,"weight_kg":0}"#),
        ("weighvision.session.ended", #"{"session_id":"\#(Fixture.sessionID)","reason":"completed"}"#),
        ("weighvision.session.ended", #"{"session_id":"\#(Fixture.sessionID)","reason":"cancelled"}"#),
        ("weighvision.session.ended", #"{"session_id":"\#(Fixture.sessionID)"}"#),
    ])
    func weighvision(_ eventType: String, _ payload: String) throws {
        let message = try Fixture.validate(Fixture.eventTopic, Fixture.envelope(eventType, payload: payload)).get()
        guard case .event(let event) = message else { Issue.record("not an event"); return }
        #expect(event.header.eventType == eventType)
        #expect(event.payload == (try JSONParser.parse(payload)))
    }

    @Test("any other a.b type is a generic event", arguments: ["a.b", "feeder.refill", "x1.y_2.z", "telemetry.aggregate"])
    func generic(_ eventType: String) throws {
        let message = try Fixture.validate(Fixture.eventTopic, Fixture.envelope(eventType, payload: #"{"anything":[1,"x"]}"#)).get()
        guard case .event(let event) = message else { Issue.record("not an event"); return }
        #expect(event.header.eventType == eventType)
    }

    @Test("a payload of exactly 64 KiB is accepted")
    func exactlyMaxSize() throws {
        let base = Fixture.envelope()
        let padded = base + String(repeating: " ", count: EnvelopeValidator.defaultMaxPayloadBytes - base.utf8.count)
        #expect(padded.utf8.count == 65_536)
        #expect(Fixture.reason(Fixture.telemetryTopic, padded) == nil)
    }

    @Test("a custom size limit is honoured")
    func customLimit() {
        let body = Array(Fixture.envelope().utf8)
        if case .failure(let rejection) = Fixture.validate(Fixture.telemetryTopic, body, maxPayloadBytes: body.count) {
            Issue.record("rejected at its own size: \(rejection)")
        }
        #expect((try? Fixture.validate(Fixture.telemetryTopic, body, maxPayloadBytes: body.count - 1).get()) == nil)
    }

    @Test("validateDocument re-checks an already parsed envelope")
    func validateDocument() throws {
        let topic = try IngestTopic.parse(Fixture.telemetryTopic)
        #expect(topic.topic == Fixture.telemetryTopic)
        #expect(topic.kind == .telemetry)
        let document = try JSONParser.parse(Fixture.envelope())
        let message = try EnvelopeValidator().validateDocument(topic: topic, document: document, receivedAt: Fixture.receivedAt)
        #expect(message.header.eventID == Fixture.eventID)
        #expect(throws: IngestRejection.self) {
            try EnvelopeValidator().validateDocument(topic: topic, document: .array([]), receivedAt: Fixture.receivedAt)
        }
    }
}
