import FarmIQTestSupport
import FarmIQApp
import FarmIQCore
import FarmIQStorage
import Foundation
import Synchronization
import Testing

/// At the hard watermark of the database volume the gateway commits and acknowledges nothing;
/// the broker keeps the messages, and they all arrive once space is back.
@Suite("Disk watermark")
struct DiskWatermarkTests {
    final class Disk: Sendable {
        let used = Mutex<Double>(0.99)
    }

    @Test("above the hard watermark nothing is acknowledged; below it everything arrives")
    func pausesAtHardWatermark() async throws {
        let disk = Disk()
        let tenant = TestEnvironment.uniqueName("w")
        let databaseURL = try await TestEnvironment.freshDatabaseURL(.sqlite)
        let configuration = try EdgeConfiguration(environment: [:], overrides: [
            "FARMIQ_DATABASE_URL": databaseURL, "FARMIQ_MQTT_URL": TestEnvironment.mqttURL, "FARMIQ_HTTP_PORT": "0",
            "FARMIQ_MQTT_CLIENT_ID": TestEnvironment.uniqueName("wm-gw"), "FARMIQ_MQTT_SHARE_GROUP": TestEnvironment.uniqueName("wm"),
            "FARMIQ_INGEST_TENANT": tenant, "FARMIQ_DB_HARD_WATERMARK": "0.95", "FARMIQ_MQTT_SESSION_EXPIRY_SECONDS": "30",
        ])
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let process = EdgeProcess(
            mode: .allInOne, configuration: configuration, logger: TestEnvironment.logger,
            onHTTPBound: { continuation.yield($0) }, gracefulShutdownSignals: [],
            volumeUsage: { _ in disk.used.withLock { $0 } })
        let task = Task {
            defer { continuation.finish() }
            try await process.run()
        }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next(), "the in-process edge stopped before it listened")
        let base = "http://127.0.0.1:\(port)"
        try await HTTP.waitUntilReady(base)

        let publisher = try await TestPublisher()
        let messages = (0..<200).map { _ in (topic: Envelopes.topic(tenant: tenant), payload: Envelopes.telemetry()) }
        #expect(try await publisher.publish(messages) == 200)  // the broker accepted them
        try await eventually { try await HTTP.metric(base, "farmiq_ingest_paused_disk_full") == 1 }
        // Above the soft watermark too: the reclaimer runs (nothing is delivered yet, so it reclaims nothing).
        try await eventually { try await HTTP.metric(base, "farmiq_storage_pressure") == 1 }
        // A state probe, not a sleep: messages reached the gateway and have waited unacknowledged for a second.
        try await eventually { try await HTTP.metric(base, "farmiq_ingest_oldest_unacknowledged_age_seconds") >= 1 }
        #expect(try await HTTP.metric(base, "farmiq_ingest_messages_total{kind=\"telemetry\"}") == 0)
        #expect(try await TestDatabase.messageCount(databaseURL, tenantID: tenant) == 0)

        disk.used.withLock { $0 = 0.5 }
        try await eventually { try await HTTP.metric(base, "farmiq_ingest_messages_total{kind=\"telemetry\"}") == 200 }
        #expect(try await HTTP.metric(base, "farmiq_ingest_paused_disk_full") == 0)
        #expect(try await TestDatabase.messageCount(databaseURL, tenantID: tenant) == 200)
        await publisher.stop()
        task.cancel()
        _ = try? await task.value
    }
}
