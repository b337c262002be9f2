import Testing
@testable import FarmIQCore

/// The telemetry fast path against the full validator, on the same bytes: where the fast path accepts, the full
/// path accepts the same message (payload text included); where the full path rejects, the fast path returns `nil`.
@Suite("Telemetry fast path agrees with the full validator")
struct TelemetryFastPathTests {
    static let topic = "farmiq/v1/tenant-a/farm-1/barn-2/dev-7/telemetry"
    static let receivedAt = Timestamp(millisecondsSinceEpoch: 1_795_927_722_123)
    let validator = EnvelopeValidator()

    private func outcomes(_ text: String) throws -> (fast: TelemetryMessage?, full: Result<IngestMessage, IngestRejection>) {
        let parsed = try IngestTopic.parse(Self.topic)
        let bytes = Array(text.utf8)
        let fast = TelemetryFastPath.message(topic: parsed, payload: bytes, receivedAt: Self.receivedAt, validator: validator)
        let full: Result<IngestMessage, IngestRejection>
        do {
            full = .success(try validator.validateParsing(topic: parsed, payload: bytes, receivedAt: Self.receivedAt))
        } catch {
            full = .failure(error)
        }
        return (fast, full)
    }

    /// Checks the agreement; returns whether the fast path accepted.
    @discardableResult
    private func agree(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Bool {
        let (fast, full) = try outcomes(text)
        guard let fast else { return false }
        switch full {
        case .success(.telemetry(let message)):
            #expect(fast == message, "fast path differs on \(text)", sourceLocation: sourceLocation)
            #expect(fast.payloadJSON == message.payloadJSON, sourceLocation: sourceLocation)
            #expect(fast.outboxBody == message.outboxBody, sourceLocation: sourceLocation)
        default:
            Issue.record("fast path accepted what the full path answers \(full): \(text)", sourceLocation: sourceLocation)
        }
        return true
    }

    @Test("the everyday envelope takes the fast path, with the full path's message")
    func everyday() throws {
        let text = """
            {"schema_version":1,"event_id":"0193a3c1-7b2e-7c3a-9f4d-2b8e5a1c0d11","event_type":"telemetry.reading",\
            "occurred_at":"2026-11-29T04:48:40.000Z","payload":{"readings":[{"metric":"temperature","value":21.5,"unit":"C"},\
            {"metric":"humidity","value":61,"unit":"%"},{"metric":"co2","value":8.12e2}]}}
            """
        #expect(try agree(text))
        let message = try #require(try outcomes(text).fast)
        #expect(message.readings.map(\.metric) == ["temperature", "humidity", "co2"])
        #expect(message.readings.map(\.value) == [21.5, 61, 812])
        #expect(message.readings.map(\.unit) == ["C", "%", nil])
        #expect(message.payloadJSON.hasPrefix("{\"readings\":[") && message.payloadJSON.hasSuffix("]}"))
    }

    @Test("generated envelopes: member order, whitespace, optional members, numbers", arguments: 0..<4)
    func generated(round: Int) throws {
        var random = SplitMix64(seed: UInt64(7_000 + round))
        var accepted = 0
        for _ in 0..<500 {
            if try agree(Self.envelope(using: &random, mutate: false)) { accepted += 1 }
        }
        // Unmutated envelopes are all of the fast path's shape: it must take every one.
        #expect(accepted == 500)
    }

    @Test("mutated envelopes: wherever the full path rejects, the fast path declines", arguments: 0..<8)
    func mutated(round: Int) throws {
        var random = SplitMix64(seed: UInt64(9_000 + round))
        var fastAccepted = 0
        var fullRejected = 0
        for _ in 0..<500 {
            let text = Self.envelope(using: &random, mutate: true)
            let (fast, full) = try outcomes(text)
            if case .failure = full {
                fullRejected += 1
                #expect(fast == nil, "fast path accepted a message the full path rejects: \(text)")
            }
            if try agree(text) { fastAccepted += 1 }
        }
        // Both outcomes occur, so the comparison above is exercised on each side.
        #expect(fullRejected > 50)
        #expect(fastAccepted > 20)
    }

    @Test("shapes the fast path leaves to the full path", arguments: [
        // escapes, non-ASCII, an unknown member, a payload member besides readings, duplicates, empty readings
        #"{"schema_version":1,"event_id":"0193a3c1-7b2e-7c3a-9f4d-2b8e5a1c0d11","event_type":"telemetry.reading","occurred_at":"2026-11-29T04:48:40Z","payload":{"readings":[{"metric":"t","value":1,"unit":"\u00b0C"}]}}"#,
        #"{"schema_version":1,"event_id":"0193a3c1-7b2e-7c3a-9f4d-2b8e5a1c0d11","event_type":"telemetry.reading","occurred_at":"2026-11-29T04:48:40Z","payload":{"readings":[{"metric":"t","value":1,"unit":"°C"}]}}"#,
        #"{"schema_version":1,"event_id":"0193a3c1-7b2e-7c3a-9f4d-2b8e5a1c0d11","event_type":"telemetry.reading","occurred_at":"2026-11-29T04:48:40Z","firmware":"1.2","payload":{"readings":[{"metric":"t","value":1}]}}"#,
        #"{"schema_version":1,"event_id":"0193a3c1-7b2e-7c3a-9f4d-2b8e5a1c0d11","event_type":"telemetry.reading","occurred_at":"2026-11-29T04:48:40Z","payload":{"readings":[{"metric":"t","value":1}],"battery":3.1}}"#,
        #"{"schema_version":1,"event_id":"0193a3c1-7b2e-7c3a-9f4d-2b8e5a1c0d11","event_id":"0193a3c1-7b2e-7c3a-9f4d-2b8e5a1c0d12","event_type":"telemetry.reading","occurred_at":"2026-11-29T04:48:40Z","payload":{"readings":[{"metric":"t","value":1}]}}"#,
        #"{"schema_version":1,"event_id":"0193a3c1-7b2e-7c3a-9f4d-2b8e5a1c0d11","event_type":"telemetry.reading","occurred_at":"2026-11-29T04:48:40Z","payload":{"readings":[]}}"#,
    ])
    func declined(_ text: String) throws {
        let (fast, full) = try outcomes(text)
        #expect(fast == nil)
        // And the validator's public entry point still answers as the full path does.
        let answer = validator.validate(topic: Self.topic, payload: Array(text.utf8), receivedAt: Self.receivedAt)
        #expect(answer == full)
    }

    // MARK: Generator

    /// An envelope of the fast path's shape (`mutate` false), or one with one to three random mutations.
    static func envelope(using random: inout SplitMix64, mutate: Bool) -> String {
        func pick<T>(_ options: [T], _ random: inout SplitMix64) -> T { options[Int(random.next() % UInt64(options.count))] }
        func chance(_ percent: UInt64, _ random: inout SplitMix64) -> Bool { random.next() % 100 < percent }
        let spaces = ["", " ", "\n  ", "\t", "\r\n"]
        func ws(_ random: inout SplitMix64) -> String { chance(20, &random) ? pick(spaces, &random) : "" }

        let metrics = ["temperature", "humidity", "co2", "water.total", "feed_kg", "a", "nh3.ppm"]
        let values = ["21.5", "0", "-0", "61", "-12.25", "8.12e2", "1E-3", "123456789012345", "0.1", "3.0e+2", "-7"]
        let units = ["\"C\"", "\"%\"", "\"ppm\"", "null", "\"kg/m3\""]
        var readings: [String] = []
        for _ in 0..<(1 + Int(random.next() % 4)) {
            var members = [
                "\"metric\"\(ws(&random)):\(ws(&random))\"\(pick(metrics, &random))\"",
                "\"value\"\(ws(&random)):\(ws(&random))\(pick(values, &random))",
            ]
            if chance(70, &random) { members.append("\"unit\":\(ws(&random))\(pick(units, &random))") }
            members.shuffle(using: &random)
            readings.append("{\(ws(&random))\(members.joined(separator: ",\(ws(&random))"))\(ws(&random))}")
        }
        let payload = "{\(ws(&random))\"readings\"\(ws(&random)):\(ws(&random))[\(readings.joined(separator: ",\(ws(&random))"))]\(ws(&random))}"
        let eventID = EventID.v7(at: receivedAt, using: &random)
        let occurred = pick(["2026-11-29T04:48:40.000Z", "2026-11-29T04:48:41Z", "2026-11-29T10:18:42.1+05:30", "2026-11-28T23:00:00.123456Z"], &random)
        var members = [
            "\"schema_version\":\(ws(&random))\(pick(["1", "1.0", "1e0", "10e-1"], &random))",
            "\"event_id\":\"\(eventID)\"",
            "\"event_type\":\"telemetry.reading\"",
            "\"occurred_at\":\"\(occurred)\"",
            "\"payload\":\(ws(&random))\(payload)",
        ]
        if chance(30, &random) { members.append("\"trace_id\":\(pick(["null", "\"4bf92f3577b34da6a3ce929d0e0e4736\""], &random))") }
        if chance(30, &random) { members.append("\"tenant_id\":\"tenant-a\"") }
        if chance(30, &random) { members.append("\"device_id\":\"dev-7\"") }
        if chance(20, &random) { members.append("\"farm_id\":\"farm-1\",\"barn_id\":\"barn-2\"") }
        members.shuffle(using: &random)
        var text = "\(ws(&random)){\(ws(&random))\(members.joined(separator: "\(ws(&random)),\(ws(&random))"))\(ws(&random))}\(ws(&random))"
        guard mutate else { return text }

        let replacements: [(String, [String])] = [
            ("\"schema_version\":", ["\"schema_version\":2,\"x\":", "\"schema_version\":\"1\",\"y\":"]),
            ("\"telemetry.reading\"", ["\"device.status\"", "\"Telemetry.Reading\"", "1", "null"]),
            ("2026-11-29", ["2099-11-29", "2026-02-30", "2026-10-01", "1969-12-31"]),
            ("\"temperature\"", ["\"Temperature\"", "\"9lives\"", "\"\"", "21"]),
            ("21.5", ["1e400", "-1e999", "\"21.5\"", "true", "01", "1.", ".5", "--1", "NaN"]),
            ("\"C\"", ["\"\"", "\"0123456789012345678901234567890123\"", "5", "{}"]),
            ("\"tenant-a\"", ["\"tenant-b\"", "7"]),
            ("\"dev-7\"", ["\"dev-8\""]),
            ("\"4bf92f3577b34da6a3ce929d0e0e4736\"", ["\"00000000000000000000000000000000\"", "\"4BF92F3577B34DA6A3CE929D0E0E4736\"", "5"]),
            ("\"readings\"", ["\"reading\"", "\"readings\":[],\"x\""]),
            ("]", ["]]", ",]", "", "],"]),
            ("}", ["}}", "", ",}"]),
            (",", [",,", "", ":"]),
            ("\"", ["", "\\\"", "'"]),
            ("-7", ["-7abc"]),
            ("0193", ["0193A"]),
        ]
        for _ in 0..<(1 + Int(random.next() % 3)) {
            let (needle, options) = pick(replacements, &random)
            if let range = text.range(of: needle) {
                text.replaceSubrange(range, with: pick(options, &random))
            }
        }
        return text
    }
}
