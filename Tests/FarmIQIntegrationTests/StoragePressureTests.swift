import FarmIQTestSupport
import FarmIQApp
import FarmIQCore
import FarmIQStorage
import Prometheus
import Synchronization
import Testing

/// The soft watermark of the database volume, on a real database of each engine: above it what is
/// already in the cloud goes at once, and what is not is never touched.
@Suite("Storage pressure (soft watermark)")
struct StoragePressureTests {
    final class Disk: Sendable {
        let used = Mutex<Double>(0.5)
    }

    @Test("above the soft watermark delivered outbox rows and synced raw readings are reclaimed; undelivered data stays",
          arguments: DatabaseEngine.allCases)
    func reclaimsOnlyWhatTheCloudHas(engine: DatabaseEngine) async throws {
        let url = try await TestEnvironment.freshDatabaseURL(engine)
        try await TestDatabase.withDatabase(url) { database in
            let tenant = TestEnvironment.uniqueName("p")
            let base = Timestamp.now().adding(milliseconds: -600_000)  // received ten minutes ago
            let messages = (0..<100).map { i -> TelemetryMessage in
                let at = base.adding(milliseconds: Int64(i))
                return TelemetryMessage(
                    address: DeviceAddress(tenantID: tenant, farmID: "farm", barnID: "barn", deviceID: "dev-\(i % 5)")!,
                    header: EnvelopeHeader(schemaVersion: 1, eventID: EventID.v7(at: at), eventType: "telemetry.reading", occurredAt: at, traceID: nil),
                    readings: [Reading(metric: "temperature", value: 21.5, unit: "celsius"), Reading(metric: "humidity", value: 60, unit: nil)],
                    payload: .object([]), receivedAt: at)
            }
            _ = try await database.telemetry.ingest(messages)
            // The cloud has the first 60 events; the last 40 are still pending.
            // PostgreSQL hands out a row once every transaction older than it has finished (cluster-wide).
            var rows: [OutboxRow] = []
            for _ in 0..<200 where rows.count < 100 {
                rows = try await database.outbox.read(after: .start, limit: 1000)
                if rows.count < 100 { try await Task.sleep(for: .milliseconds(50)) }
            }
            try #require(rows.count == 100)
            _ = try #require(try await database.outbox.acquireLease(stream: OutboxStream.cloud, owner: "test", durationMilliseconds: 60_000))
            #expect(try await database.outbox.commit(OutboxDelivery(owner: "test", through: rows[59].position, tenants: [tenant])))

            let disk = Disk()
            let service = StoragePressureService(
                configuration: .init(volumePath: "/db", softRatio: 0.85, rawChunk: 7),
                telemetry: database.telemetry, outbox: database.outbox, usage: { _ in disk.used.withLock { $0 } },
                registry: PrometheusCollectorRegistry(), logger: TestEnvironment.logger)

            // Below the soft watermark nothing is reclaimed early (delivered rows wait an hour, raw readings 30 days).
            #expect(await service.reclaimIfNeeded() == nil)
            #expect(try await database.telemetry.messageCount(tenantID: tenant) == 100)

            disk.used.withLock { $0 = 0.9 }
            let reclaimed = try #require(await service.reclaimIfNeeded())
            #expect(reclaimed.outboxRows == 60)
            #expect(reclaimed.rawRows == 60)  // one raw row per message, deleted in chunks of 7
            #expect(try await database.telemetry.messageCount(tenantID: tenant) == 40)
            let stats = try await database.outbox.stats(now: .now())
            #expect(stats.pending == 40)
            let left = try await database.outbox.read(after: rows[59].position, limit: 1000)
            #expect(left.map(\.eventID) == rows[60...].map(\.eventID))
            // The raw readings left are exactly the undelivered messages'.
            let raw = try await database.telemetry.rawReadings(RawReadingQuery(
                tenantID: tenant, from: base.adding(milliseconds: -1), to: base.adding(milliseconds: 1000), limit: 10_000))
            #expect(Set(raw.map(\.eventID)) == Set(messages[60...].map(\.header.eventID)))

            // Still above: nothing more is safe to reclaim, and the pending data stays.
            let again = try #require(await service.reclaimIfNeeded())
            #expect(again.outboxRows == 0 && again.rawRows == 0)
            #expect(try await database.telemetry.messageCount(tenantID: tenant) == 40)
        }
    }
}
