import FarmIQApp
import FarmIQCore
import FarmIQStorage
import FarmIQTestSupport
import Foundation
import Testing

/// MQTT → gateway → telemetry store, in process, against the real broker and both engines.
@Suite("Ingest end to end", .serialized)
struct IngestEndToEndTests {
    @Test("valid telemetry is stored once, duplicates are counted and aggregated once", arguments: DatabaseEngine.allCases)
    func duplicatesStoredOnce(engine: DatabaseEngine) async throws {
        let databaseURL = try await TestEnvironment.freshDatabaseURL(engine)
        let tenant = TestEnvironment.uniqueName("t")
        // Scoped to the test's tenant: other tests publish on the same broker at the same time.
        let edge = try await InProcessEdge.start(databaseURL: databaseURL, settings: ["FARMIQ_INGEST_TENANT": tenant])
        let publisher = try await TestPublisher()
        let start = Timestamp(millisecondsSinceEpoch: (Timestamp.now().millisecondsSinceEpoch / 60_000 - 5) * 60_000)
        // 100 distinct messages one second apart, each sent three times.
        var messages: [(topic: String, payload: String)] = []
        for i in 0..<100 {
            let payload = Envelopes.telemetry(eventID: EventID.v7(), at: start.adding(milliseconds: Int64(i) * 1000), readings: [("temperature", Double(i))])
            for _ in 0..<3 { messages.append((Envelopes.topic(tenant: tenant), payload)) }
        }
        try await publisher.publish(messages.shuffled())
        try await eventually { try await HTTP.metric(edge.baseURL, "farmiq_ingest_messages_total{kind=\"telemetry\"}") >= 300 }

        let readings = try await HTTP.getJSON(
            "\(edge.baseURL)/api/v1/telemetry/readings?tenant_id=\(tenant)&from=\(start.adding(milliseconds: -1000).rfc3339)&limit=10000")
        guard case .array(let rows)? = readings["readings"] else { Issue.record("no readings array"); return }
        #expect(rows.count == 100)
        let aggregates = try await HTTP.getJSON(
            "\(edge.baseURL)/api/v1/telemetry/aggregates?tenant_id=\(tenant)&bucket=1h&from=\(start.adding(milliseconds: -3_600_000).rfc3339)")
        guard case .array(let buckets)? = aggregates["aggregates"] else { Issue.record("no aggregates array"); return }
        let total = buckets.compactMap { bucket -> Int? in
            if case .number(let n)? = bucket["count"] { return n.integerValue }
            return nil
        }.reduce(0, +)
        #expect(total == 100)
        let sum = buckets.compactMap { bucket -> Double? in
            if case .number(let n)? = bucket["sum"] { return n.value }
            return nil
        }.reduce(0, +)
        #expect(sum == Double((0..<100).reduce(0, +)))
        #expect(try await HTTP.metric(edge.baseURL, "farmiq_ingest_duplicates_total") >= 200)
        // One outbox row per accepted message, queued for the cloud.
        let pending = try await HTTP.metric(edge.baseURL, "farmiq_sync_outbox_pending")
        #expect(pending == 100, "outbox pending \(pending)")
        await publisher.stop()
        await edge.stop()
    }

    @Test("queries are tenant-scoped", arguments: DatabaseEngine.allCases)
    func tenantScoping(engine: DatabaseEngine) async throws {
        let edge = try await InProcessEdge.start(databaseURL: try await TestEnvironment.freshDatabaseURL(engine))
        let publisher = try await TestPublisher()
        let tenantA = TestEnvironment.uniqueName("a")
        let tenantB = TestEnvironment.uniqueName("b")
        try await publisher.publish([
            (Envelopes.topic(tenant: tenantA), Envelopes.telemetry(readings: [("temperature", 1)])),
            (Envelopes.topic(tenant: tenantB), Envelopes.telemetry(readings: [("temperature", 2)])),
        ])
        // This edge takes every tenant's topics, other tests' too: wait for these two tenants' own rows.
        for tenant in [tenantA, tenantB] {
            try await eventually { try await HTTP.get("\(edge.baseURL)/api/v1/telemetry/latest?tenant_id=\(tenant)").body.contains(tenant) }
        }
        for (tenant, value) in [(tenantA, 1.0), (tenantB, 2.0)] {
            for path in ["readings", "latest", "aggregates"] {
                let body = try await HTTP.get("\(edge.baseURL)/api/v1/telemetry/\(path)?tenant_id=\(tenant)").body
                #expect(body.contains(tenant))
                #expect(!body.contains(tenant == tenantA ? tenantB : tenantA))
                if path == "latest" { #expect(body.contains("\"value\":\(Int(value))")) }
            }
        }
        #expect(try await HTTP.get("\(edge.baseURL)/api/v1/telemetry/readings").status == 400)
        #expect(try await HTTP.get("\(edge.baseURL)/api/v1/telemetry/readings?tenant_id=../etc").status == 400)
        await publisher.stop()
        await edge.stop()
    }

    @Test("device events other than telemetry are stored and queued for sync")
    func deviceEvents() async throws {
        let tenant = TestEnvironment.uniqueName("e")
        let edge = try await InProcessEdge.start(
            databaseURL: try await TestEnvironment.freshDatabaseURL(.sqlite), settings: ["FARMIQ_INGEST_TENANT": tenant])
        let publisher = try await TestPublisher()
        let session = UUID().uuidString.lowercased()
        let events = [
            Envelopes.event(type: "device.status", payload: "{\"status\":\"online\",\"rssi\":-61}"),
            Envelopes.event(type: "weighvision.session.started", payload: "{\"session_id\":\"\(session)\",\"station_id\":\"st-1\"}"),
            Envelopes.event(type: "weighvision.weight.reading", payload: "{\"session_id\":\"\(session)\",\"seq\":0,\"weight_kg\":2.314,\"stable\":true}"),
            Envelopes.event(type: "feeder.jam", payload: "{\"line\":3}"),
        ]
        try await publisher.publish(events.map { (Envelopes.topic(tenant: tenant, kind: "event"), $0) })
        try await eventually { try await HTTP.metric(edge.baseURL, "farmiq_ingest_messages_total{kind=\"event\"}") >= 4 }
        #expect(try await HTTP.metric(edge.baseURL, "farmiq_sync_outbox_pending") == 4)
        #expect(try await HTTP.metric(edge.baseURL, "farmiq_ingest_rejected_total{reason=\"invalid_json\"}") == 0)
        await publisher.stop()
        await edge.stop()
    }
}
