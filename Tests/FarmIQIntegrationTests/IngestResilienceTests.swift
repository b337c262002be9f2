import FarmIQApp
import FarmIQTestSupport
import FarmIQCore
import Foundation
import Testing

@testable import FarmIQStorage

/// Issue 12, end to end against the real broker on both engines: nothing a device sends can stop ingest.
@Suite("Ingest resilience", .serialized)
struct IngestResilienceTests {
    /// Makes the database refuse, always, any row of device `poison-dev` (a constraint-class error, like the
    /// NOT NULL failure of the roll-up example): the kind "a valid message whose commit always fails".
    static func installPoisonTrigger(_ databaseURL: String) async throws {
        try await TestDatabase.withDatabase(databaseURL) { db in
            switch db.engine {
            case .sqlite:
                for table in ["telemetry_raw", "device_events"] {
                    try await db.execute(unsafeSQL: """
                        CREATE TRIGGER poison_\(table) BEFORE INSERT ON \(table) WHEN NEW.device_id = 'poison-dev'
                        BEGIN SELECT RAISE(ABORT, 'poison pill refused'); END
                        """)
                }
            case .postgres:
                try await db.execute(unsafeSQL: """
                    CREATE FUNCTION poison_pill() RETURNS trigger AS $$ BEGIN
                    IF NEW.device_id = 'poison-dev' THEN RAISE EXCEPTION 'poison pill refused' USING ERRCODE = 'check_violation'; END IF;
                    RETURN NEW; END $$ LANGUAGE plpgsql
                    """)
                for table in ["telemetry_raw", "device_events"] {
                    try await db.execute(unsafeSQL: "CREATE TRIGGER poison_\(table) BEFORE INSERT ON \(table) FOR EACH ROW EXECUTE FUNCTION poison_pill()")
                }
            }
        }
    }

    static func count(_ databaseURL: String, _ sql: String) async throws -> Int {
        let value = try await TestDatabase.withDatabase(databaseURL) { db in try await db.scalarInt(unsafeSQL: sql) }
        return value
    }

    @Test("a message whose commit always fails is isolated, recorded once with the database's reason, and ingest continues",
          arguments: DatabaseEngine.allCases)
    func poisonMessageIsIsolated(engine: DatabaseEngine) async throws {
        let databaseURL = try await TestEnvironment.freshDatabaseURL(engine)
        try await Self.installPoisonTrigger(databaseURL)
        let tenant = TestEnvironment.uniqueName("p")
        let logs = CapturedLogs()
        let settings = ["FARMIQ_INGEST_TENANT": tenant, "FARMIQ_MQTT_SHARE_GROUP": "none", "FARMIQ_MQTT_CLIENT_ID": TestEnvironment.uniqueName("gw")]
        var edge = try await InProcessEdge.start(databaseURL: databaseURL, settings: settings, logger: logs.logger)
        let publisher = try await TestPublisher()
        let good = Envelopes.topic(tenant: tenant)
        let poison = Envelopes.topic(tenant: tenant, device: "poison-dev")
        var messages: [(topic: String, payload: String)] = (0..<20).map { _ in (good, Envelopes.telemetry()) }
        messages.append((poison, Envelopes.telemetry()))
        messages.append((Envelopes.topic(tenant: tenant, device: "poison-dev", kind: "event"), Envelopes.event(type: "device.status", payload: "{\"status\":\"online\"}")))
        messages += (0..<20).map { _ in (good, Envelopes.telemetry()) }
        messages.append((Envelopes.topic(tenant: tenant, kind: "event"), Envelopes.event(type: "device.status", payload: "{\"status\":\"online\"}")))
        // All in flight at once, so the poison messages share batches with good ones.
        #expect(try await publisher.publish(messages, window: 1000) == messages.count)

        try await eventually { try await TestDatabase.messageCount(databaseURL, tenantID: tenant) == 40 }
        try await eventually { try await TestDatabase.rejects(databaseURL).count == 2 }
        let rejects = try await TestDatabase.rejects(databaseURL)
        #expect(rejects.map(\.reason) == ["commit_failed", "commit_failed"])
        #expect(rejects.allSatisfy { $0.detail.contains("poison pill refused") && $0.topic.contains("poison-dev") })
        #expect(try await HTTP.metric(edge.baseURL, "farmiq_ingest_poison_messages_total") == 2)
        #expect(try await HTTP.metric(edge.baseURL, "farmiq_ingest_rejected_total{reason=\"commit_failed\"}") == 2)
        // The failure lines carry the database's cause.
        #expect(!logs.failures(containing: "poison pill refused").isEmpty)
        // Ingest goes on, and the poison messages were acknowledged: a restart does not see them again.
        try await publisher.publish([(good, Envelopes.telemetry())])
        try await eventually { try await TestDatabase.messageCount(databaseURL, tenantID: tenant) == 41 }
        await edge.stop()
        edge = try await InProcessEdge.start(databaseURL: databaseURL, settings: settings)
        try await publisher.publish([(good, Envelopes.telemetry())])
        try await eventually { try await TestDatabase.messageCount(databaseURL, tenantID: tenant) == 42 }
        #expect(try await TestDatabase.rejects(databaseURL).count == 2)
        #expect(try await Self.count(databaseURL, "SELECT count(*) FROM device_events") == 1)
        await edge.stop()
        await publisher.stop()
    }

    @Test("the roll-up example: ±1.7e308 in one minute is stored, counted, and the sum saturates instead of failing",
          arguments: DatabaseEngine.allCases)
    func extremeValuesDoNotPoisonTheRollUp(engine: DatabaseEngine) async throws {
        let databaseURL = try await TestEnvironment.freshDatabaseURL(engine)
        let tenant = TestEnvironment.uniqueName("x")
        let edge = try await InProcessEdge.start(databaseURL: databaseURL, settings: ["FARMIQ_INGEST_TENANT": tenant])
        let publisher = try await TestPublisher()
        let topic = Envelopes.topic(tenant: tenant)
        let minute = Timestamp(millisecondsSinceEpoch: (Timestamp.now().millisecondsSinceEpoch / 60_000 - 1) * 60_000)
        // In two batches (window 1), so both the in-batch sum and the database upsert saturate.
        for (offset, value) in [1.7e308, 1.7e308, -1.7e308, -1.7e308].enumerated() {
            try await publisher.publish([(topic, Envelopes.telemetry(at: minute.adding(milliseconds: Int64(offset) * 1000), readings: [("temperature", value)]))])
        }
        try await eventually { try await TestDatabase.messageCount(databaseURL, tenantID: tenant) == 4 }
        #expect(try await TestDatabase.rejects(databaseURL).isEmpty)
        let aggregates = try await TestDatabase.withDatabase(databaseURL) { db in
            try await db.telemetry.aggregates(AggregateQuery(
                tenantID: tenant, bucket: .minute, from: minute, to: minute.adding(milliseconds: 60_000)))
        }
        #expect(aggregates.map(\.count) == [4])
        #expect(aggregates.allSatisfy { $0.sum.isFinite && $0.min == -1.7e308 && $0.max == 1.7e308 })
        // The query API answers with valid JSON.
        let (status, _) = try await HTTP.get(edge.baseURL + "/api/v1/telemetry/aggregates?tenant_id=\(tenant)&bucket=1m&from=\(minute.rfc3339)")
        #expect(status == 200)
        // And a later message still goes in.
        try await publisher.publish([(topic, Envelopes.telemetry())])
        try await eventually { try await TestDatabase.messageCount(databaseURL, tenantID: tenant) == 5 }
        await edge.stop()
        await publisher.stop()
    }

    @Test("one event-id space per tenant: across topics, and after the raw row is gone", arguments: DatabaseEngine.allCases)
    func oneEventIDSpace(engine: DatabaseEngine) async throws {
        let databaseURL = try await TestEnvironment.freshDatabaseURL(engine)
        let tenant = TestEnvironment.uniqueName("d")
        let edge = try await InProcessEdge.start(databaseURL: databaseURL, settings: ["FARMIQ_INGEST_TENANT": tenant])
        let publisher = try await TestPublisher()
        let telemetryTopic = Envelopes.topic(tenant: tenant)
        let eventTopic = Envelopes.topic(tenant: tenant, kind: "event")
        let x = EventID.v7(), y = EventID.v7()
        let status = "{\"status\":\"online\"}"
        try await publisher.publish([(telemetryTopic, Envelopes.telemetry(eventID: x))], window: 1)
        try await publisher.publish([(eventTopic, Envelopes.event(type: "device.status", payload: status, eventID: x))], window: 1)
        try await publisher.publish([(eventTopic, Envelopes.event(type: "device.status", payload: status, eventID: y))], window: 1)
        try await publisher.publish([(telemetryTopic, Envelopes.telemetry(eventID: y))], window: 1)
        try await eventually { try await HTTP.metric(edge.baseURL, "farmiq_ingest_duplicates_total") == 2 }

        // Retention (or the soft-watermark reclaim) deletes the raw row; a redelivery is still a duplicate.
        try await TestDatabase.withDatabase(databaseURL) { db in try await db.execute(unsafeSQL: "DELETE FROM telemetry_raw") }
        try await publisher.publish([(telemetryTopic, Envelopes.telemetry(eventID: x))], window: 1)
        try await eventually { try await HTTP.metric(edge.baseURL, "farmiq_ingest_duplicates_total") == 3 }
        await edge.stop()
        #expect(try await Self.count(databaseURL, "SELECT count(*) FROM sync_outbox") == 2)
        #expect(try await Self.count(databaseURL, "SELECT count(*) FROM device_events") == 1)
        #expect(try await Self.count(databaseURL, "SELECT count(*) FROM telemetry_raw") == 0)
        #expect(try await Self.count(databaseURL, "SELECT count(*) FROM ingest_event_ids") == 2)
        // The roll-up counted x once.
        #expect(try await Self.count(databaseURL, "SELECT CAST(sum(count) AS BIGINT) FROM telemetry_agg WHERE bucket_size = 60") == 1)
        await publisher.stop()
    }

    @Test("retained messages are not replayed on reconnect; a redelivered reject is recorded once", arguments: DatabaseEngine.allCases)
    func retainedMessagesNotReplayed(engine: DatabaseEngine) async throws {
        let databaseURL = try await TestEnvironment.freshDatabaseURL(engine)
        let tenant = TestEnvironment.uniqueName("r")
        // A plain subscription (as all-in-one uses) with a resumed session: the case that replayed retained messages.
        let settings = ["FARMIQ_INGEST_TENANT": tenant, "FARMIQ_MQTT_SHARE_GROUP": "none", "FARMIQ_MQTT_CLIENT_ID": TestEnvironment.uniqueName("gw")]
        var edge = try await InProcessEdge.start(databaseURL: databaseURL, settings: settings)
        let publisher = try await TestPublisher()
        let topic = Envelopes.topic(tenant: tenant)
        try await publisher.client.publish(topic: topic, payload: .init(string: "{not json"), qos: .atLeastOnce, retain: true)
        let goodTopic = Envelopes.topic(tenant: tenant, device: "dev-2")
        try await publisher.client.publish(topic: goodTopic, payload: .init(string: Envelopes.telemetry()), qos: .atLeastOnce, retain: true)
        try await eventually { try await TestDatabase.messageCount(databaseURL, tenantID: tenant) == 1 }
        try await eventually { try await TestDatabase.rejects(databaseURL).count == 1 }
        for _ in 0..<2 {
            await edge.stop()
            // The good message's raw row is reclaimed meanwhile: a replay would store it again.
            try await TestDatabase.withDatabase(databaseURL) { db in try await db.execute(unsafeSQL: "DELETE FROM telemetry_raw") }
            edge = try await InProcessEdge.start(databaseURL: databaseURL, settings: settings)
            try await publisher.publish([(topic, Envelopes.telemetry())])  // a marker behind any replay
            try await eventually { try await TestDatabase.messageCount(databaseURL, tenantID: tenant) >= 1 }
        }
        #expect(try await TestDatabase.rejects(databaseURL).count == 1)
        #expect(try await TestDatabase.messageCount(databaseURL, tenantID: tenant) == 1)
        #expect(try await Self.count(databaseURL, "SELECT count(*) FROM sync_outbox") == 3)  // good + two markers
        // Clear the retained messages.
        try await publisher.client.publish(topic: topic, payload: .init(), qos: .atLeastOnce, retain: true)
        try await publisher.client.publish(topic: goodTopic, payload: .init(), qos: .atLeastOnce, retain: true)
        await edge.stop()
        await publisher.stop()
    }

    @Test("an oversized packet is recorded as payload_too_large and the gateway keeps ingesting", arguments: DatabaseEngine.allCases)
    func oversizedPacketSurvived(engine: DatabaseEngine) async throws {
        let databaseURL = try await TestEnvironment.freshDatabaseURL(engine)
        let tenant = TestEnvironment.uniqueName("o")
        let edge = try await InProcessEdge.start(databaseURL: databaseURL, settings: ["FARMIQ_INGEST_TENANT": tenant])
        let publisher = try await TestPublisher()
        let topic = Envelopes.topic(tenant: tenant)
        // 600 KB: over the gateway's 256 KiB buffer, under the test broker's max_packet_size (1 MiB).
        let huge = Envelopes.telemetry(extra: ",\"pad\":\"" + String(repeating: "x", count: 600_000) + "\"")
        try await publisher.publish([(topic, Envelopes.telemetry()), (topic, huge), (topic, Envelopes.telemetry())], window: 3)
        try await eventually { try await TestDatabase.messageCount(databaseURL, tenantID: tenant) == 2 }
        try await eventually { try await TestDatabase.rejects(databaseURL).count == 1 }
        let reject = try #require(try await TestDatabase.rejects(databaseURL).first)
        #expect(reject.reason == "payload_too_large")
        #expect(reject.payloadSize == huge.utf8.count)
        #expect(reject.topic == topic)
        try await publisher.publish([(topic, Envelopes.telemetry())])
        try await eventually { try await TestDatabase.messageCount(databaseURL, tenantID: tenant) == 3 }
        await edge.stop()
        await publisher.stop()
    }

    @Test("device clocks: far-future and too-old messages are rejected and counted; /latest shows the current value",
          arguments: DatabaseEngine.allCases)
    func wrongDeviceClocks(engine: DatabaseEngine) async throws {
        let databaseURL = try await TestEnvironment.freshDatabaseURL(engine)
        let tenant = TestEnvironment.uniqueName("c")
        let edge = try await InProcessEdge.start(databaseURL: databaseURL, settings: ["FARMIQ_INGEST_TENANT": tenant])
        let publisher = try await TestPublisher()
        let topic = Envelopes.topic(tenant: tenant)
        let future = Timestamp(rfc3339: "2099-01-01T00:00:00Z")!
        let old = Timestamp.now().adding(milliseconds: -40 * 86_400_000)
        try await publisher.publish([
            (topic, Envelopes.telemetry(at: future, readings: [("temperature", 99)])),
            (topic, Envelopes.telemetry(at: old, readings: [("temperature", 1)])),
            (topic, Envelopes.telemetry(readings: [("temperature", 21.5)])),
        ], window: 1)
        try await eventually { try await TestDatabase.rejects(databaseURL).count == 2 }
        try await eventually { try await TestDatabase.messageCount(databaseURL, tenantID: tenant) == 1 }
        #expect(Set(try await TestDatabase.rejects(databaseURL).map(\.reason)) == ["clock_ahead", "too_old"])
        let latest = try await HTTP.getJSON(edge.baseURL + "/api/v1/telemetry/latest?tenant_id=\(tenant)&device_id=dev-1&metric=temperature")
        guard case .array(let rows)? = latest["latest"] else { Issue.record("no latest array: \(latest)"); return }
        #expect(rows.count == 1)
        #expect(rows.first?["value"] == .number(JSONNumber(21.5)), "\(latest)")
        let skew = try await HTTP.metric(edge.baseURL, "farmiq_device_clock_ahead_seconds{tenant_id=\"\(tenant)\",device_id=\"dev-1\"}")
        #expect(skew > 86_400 * 365)
        await edge.stop()
        await publisher.stop()
    }
}
