import FarmIQTestSupport
import FarmIQApp
import FarmIQCore
import Foundation
import Testing

@testable import FarmIQStorage

/// Issue 12's soak: 100,000 messages with 1% poison of mixed kinds interleaved, through the real broker.
@Suite("Ingest soak", .serialized)
struct IngestSoakTests {
    enum Poison: CaseIterable {
        case invalidJSON, commitFailedTelemetry, commitFailedEvent, clockAhead, tooOld, badReading, oversized
    }

    @Test("every good message stored once, every poison message rejected once; stall time printed", arguments: DatabaseEngine.allCases)
    func soak(engine: DatabaseEngine) async throws {
        let total = Int(ProcessInfo.processInfo.environment["FARMIQ_TEST_SOAK_MESSAGES"] ?? "") ?? 100_000
        let databaseURL = try await TestEnvironment.freshDatabaseURL(engine)
        try await IngestResilienceTests.installPoisonTrigger(databaseURL)
        let tenant = TestEnvironment.uniqueName("s")
        let edge = try await InProcessEdge.start(databaseURL: databaseURL, settings: ["FARMIQ_INGEST_TENANT": tenant])
        let publisher = try await TestPublisher()
        let future = Timestamp(rfc3339: "2099-01-01T00:00:00Z")!
        var messages: [(topic: String, payload: String)] = []
        var goodTelemetry = 0, goodEvents = 0, poison = 0
        for index in 0..<total {
            let device = "dev-\(index % 10)"
            guard index % 100 == 50 else {
                if index % 20 == 3 {
                    messages.append((Envelopes.topic(tenant: tenant, device: device, kind: "event"),
                                     Envelopes.event(type: "device.status", payload: "{\"status\":\"online\",\"n\":\(index)}")))
                    goodEvents += 1
                } else {
                    messages.append((Envelopes.topic(tenant: tenant, device: device), Envelopes.telemetry(readings: [("temperature", Double(index % 40))])))
                    goodTelemetry += 1
                }
                continue
            }
            poison += 1
            let kinds = Poison.allCases
            // Oversized ones (600 KB through the broker) only every tenth time.
            var kind = kinds[(index / 100) % kinds.count]
            if kind == .oversized && (index / 100) % 70 != 6 { kind = .invalidJSON }
            switch kind {
            case .invalidJSON: messages.append((Envelopes.topic(tenant: tenant, device: device), "{\"broken\": \(index)"))
            case .commitFailedTelemetry: messages.append((Envelopes.topic(tenant: tenant, device: "poison-dev"), Envelopes.telemetry()))
            case .commitFailedEvent:
                messages.append((Envelopes.topic(tenant: tenant, device: "poison-dev", kind: "event"), Envelopes.event(type: "device.status", payload: "{\"status\":\"online\"}")))
            case .clockAhead: messages.append((Envelopes.topic(tenant: tenant, device: device), Envelopes.telemetry(at: future)))
            case .tooOld:
                messages.append((Envelopes.topic(tenant: tenant, device: device), Envelopes.telemetry(at: Timestamp.now().adding(milliseconds: -60 * 86_400_000))))
            case .badReading:
                messages.append((Envelopes.topic(tenant: tenant, device: device), Envelopes.telemetry().replacingOccurrences(of: "\"value\":24.5", with: "\"value\":1e999")))
            case .oversized:
                messages.append((Envelopes.topic(tenant: tenant, device: device), Envelopes.telemetry(extra: ",\"pad\":\"" + String(repeating: "x", count: 600_000) + "\"")))
            }
        }
        let started = ContinuousClock.now
        #expect(try await publisher.publish(messages, window: 1000) == total)
        let expected = (telemetry: goodTelemetry, events: goodEvents, rejects: poison)
        // One connection for the whole wait (a new client per poll would load PostgreSQL itself).
        try await TestDatabase.withDatabase(databaseURL) { db in
            try await eventually(timeout: .seconds(600)) {
                try await Task.sleep(for: .milliseconds(250))
                let stored = try await db.telemetry.messageCount(tenantID: tenant)
                let events = try await db.scalarInt(unsafeSQL: "SELECT count(*) FROM device_events")
                let rejects = try await db.scalarInt(unsafeSQL: "SELECT count(*) FROM ingest_rejects")
                return stored == expected.telemetry && events == expected.events && rejects == expected.rejects
            }
        }
        let elapsed = ContinuousClock.now - started
        let isolation = try await HTTP.metric(edge.baseURL, "farmiq_ingest_poison_isolation_seconds_total")
        let poisonCount = try await HTTP.metric(edge.baseURL, "farmiq_ingest_poison_messages_total")
        await edge.stop()
        #expect(try await IngestResilienceTests.count(databaseURL, "SELECT count(*) FROM sync_outbox") == goodTelemetry + goodEvents)
        let reasons = try await TestDatabase.withDatabase(databaseURL) { try await $0.ingress.rejectCounts() }
        print("""
            soak (\(engine)): \(total) messages, \(poison) poison (\(reasons.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))), \
            all committed in \(elapsed) (\(Int(Double(total) / elapsed.seconds)) msg/s, debug build); \
            intake stalled isolating \(Int(poisonCount)) poison messages for \(String(format: "%.2f", isolation)) s in total
            """)
        #expect(reasons["commit_failed"] == Int(poisonCount))
        await publisher.stop()
    }
}
