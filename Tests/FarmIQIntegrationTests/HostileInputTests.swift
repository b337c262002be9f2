import FarmIQTestSupport
import FarmIQApp
import FarmIQCore
import FarmIQStorage
import Foundation
import Testing

/// Bad input over the real broker: each kind is recorded in ingest_rejects with its reason, counted,
/// acknowledged, and the gateway keeps ingesting good data.
@Suite("Hostile input", .serialized)
struct HostileInputTests {
    @Test("every kind of bad message is recorded, counted and does not stop ingest", arguments: DatabaseEngine.allCases)
    func rejectsRecorded(engine: DatabaseEngine) async throws {
        let databaseURL = try await TestEnvironment.freshDatabaseURL(engine)
        let tenant = TestEnvironment.uniqueName("h")
        let edge = try await InProcessEdge.start(databaseURL: databaseURL, settings: ["FARMIQ_INGEST_TENANT": tenant])
        let publisher = try await TestPublisher()
        let topic = Envelopes.topic(tenant: tenant)
        let readings101 = (0..<101).map { ("temperature", Double($0)) }
        let cases: [(topic: String, payload: String, reason: RejectReason)] = [
            (topic, "{not json", .invalidJSON),
            (topic, String(decoding: [0x7B, 0xFF, 0xFE, 0x7D], as: UTF8.self), .invalidJSON),
            (topic, Envelopes.telemetry(extra: ",\"tenant_id\":\"someone-else\""), .topicMismatch),
            (topic, Envelopes.telemetry(extra: ",\"device_id\":\"dev-2\""), .topicMismatch),
            (Envelopes.topic(tenant: tenant, device: String(repeating: "d", count: 65)), Envelopes.telemetry(), .invalidID),
            (Envelopes.topic(tenant: tenant, device: "dev..1%2F"), Envelopes.telemetry(), .invalidID),
            (topic, Envelopes.telemetry(eventID: "../../etc/passwd"), .invalidID),
            (topic, "{\"schema_version\":1,\"event_id\":\"\(EventID.v7())\",\"event_type\":\"telemetry.reading\",\"occurred_at\":12,\"payload\":{}}", .invalidEnvelope),
            (topic, Envelopes.telemetry().replacingOccurrences(of: "\"value\":24.5", with: "\"value\":NaN"), .invalidJSON),
            (topic, Envelopes.telemetry().replacingOccurrences(of: "\"value\":24.5", with: "\"value\":1e999"), .invalidReading),
            (topic, Envelopes.telemetry(readings: []), .invalidReading),
            (topic, Envelopes.telemetry(readings: readings101), .invalidReading),
            (topic, Envelopes.telemetry(extra: ",\"pad\":\"" + String(repeating: "x", count: 70_000) + "\""), .payloadTooLarge),
            (topic, Envelopes.telemetry().replacingOccurrences(of: "\"schema_version\":1", with: "\"schema_version\":2"), .unsupportedSchemaVersion),
            (Envelopes.topic(tenant: tenant, kind: "event"), Envelopes.telemetry(), .invalidEventType),
        ]
        // The non-UTF-8 case must carry raw bytes: publish it through the bytes path.
        var messages = cases.map { (topic: $0.topic, payload: $0.payload) }
        messages.append((topic, Envelopes.telemetry(readings: [("temperature", 21)])))
        try await publisher.publish(messages, window: 1)
        try await publisher.publishBytes(topic: topic, bytes: [0x7B, 0x22, 0xC3, 0x28, 0x22, 0x7D])

        try await eventually {
            try await HTTP.metric(edge.baseURL, "farmiq_ingest_messages_total{kind=\"telemetry\"}") >= 1
        }
        try await eventually {
            var total = 0.0
            for reason in RejectReason.allCases {
                total += try await HTTP.metric(edge.baseURL, "farmiq_ingest_rejected_total{reason=\"\(reason.rawValue)\"}")
            }
            return total >= Double(cases.count + 1)
        }
        var expected: [String: Int] = [:]
        for item in cases { expected[item.reason.rawValue, default: 0] += 1 }
        expected[RejectReason.invalidUTF8.rawValue, default: 0] += 1
        for (reason, count) in expected {
            #expect(try await HTTP.metric(edge.baseURL, "farmiq_ingest_rejected_total{reason=\"\(reason)\"}") == Double(count), "reason \(reason)")
        }
        await edge.stop()

        // Recorded with reason and at most 4 KiB of payload.
        let stored = try await TestDatabase.rejects(databaseURL)
        #expect(stored.count == cases.count + 1)
        #expect(stored.allSatisfy { $0.payloadPrefix.count <= 4096 })
        #expect(stored.contains { $0.reason == RejectReason.payloadTooLarge.rawValue && $0.payloadSize > 65_536 })
        #expect(stored.contains { $0.reason == RejectReason.invalidUTF8.rawValue && $0.payloadPrefix == [0x7B, 0x22, 0xC3, 0x28, 0x22, 0x7D] })
        await publisher.stop()
    }
}
