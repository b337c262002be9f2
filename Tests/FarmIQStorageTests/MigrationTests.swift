import FarmIQTestSupport
import FarmIQCore
import Testing
@testable import FarmIQStorage

@Suite("Migrations", .tags(.postgres), TestServices.servicesRequired)
struct MigrationTests {
    /// An unmigrated database brought to the state of an older release: `migrations` applied and recorded, as
    /// ``EdgeDatabase/migrate()`` would have left them.
    static func apply(_ migrations: [Migration], engine: DatabaseEngine, to db: EdgeDatabase) async throws {
        try await db.execute(unsafeSQL: "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)")
        for migration in migrations {
            for sql in engine == .sqlite ? migration.sqlite : migration.postgres {
                try await db.execute(unsafeSQL: sql)
            }
            try await db.execute(unsafeSQL: "INSERT INTO schema_migrations VALUES (\(migration.version), '\(migration.name)', 0)")
        }
    }

    /// A database at version 2 (one raw row per reading) with readings in it, then migrated.
    @Test("version 3 folds per-reading raw rows into one row per message, readings and order intact", arguments: DatabaseEngine.allCases)
    func rawPerMessageKeepsEveryReading(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine, migrate: false) { db in
            try await Self.apply([Migrations.initial, Migrations.outboxCursor], engine: engine, to: db)
            let first = Fixtures.eventID(), second = Fixtures.eventID()
            // Inserted out of index order on purpose; units with a quote and a null.
            let rows = [
                (first, 1, "humidity", "61.25", "'percent'"), (first, 0, "temperature", "24.3", "'celsius \"C\"'"),
                (first, 2, "co2", "812", "NULL"), (second, 0, "temperature", "-0.5", "'celsius'"),
            ]
            for (eventID, index, metric, value, unit) in rows {
                let occurred = eventID == first ? Fixtures.time(1_000).millisecondsSinceEpoch : Fixtures.time(2_000).millisecondsSinceEpoch
                try await db.execute(unsafeSQL: """
                    INSERT INTO telemetry_raw (tenant_id, event_id, idx, farm_id, barn_id, device_id, metric, value, unit, occurred_at, received_at, outbox_id)
                    VALUES ('tenant-a', '\(eventID)', \(index), 'farm-1', 'barn-1', 'dev-1', '\(metric)', \(value), \(unit), \(occurred), \(occurred), 7)
                    """)
            }
            try await db.migrate()
            #expect(try await db.scalarInt(unsafeSQL: "SELECT count(*) FROM telemetry_raw") == 2)
            #expect(try await db.scalarInt(unsafeSQL: "SELECT count(*) FROM schema_migrations") == Migrations.all.count)
            let readings = try await db.telemetry.rawReadings(RawReadingQuery(tenantID: "tenant-a", from: Fixtures.time(0), to: Fixtures.time(10_000)))
            #expect(readings.map(\.eventID) == [first, first, first, second])
            #expect(readings.map(\.index) == [0, 1, 2, 0])
            #expect(readings.map(\.metric) == ["temperature", "humidity", "co2", "temperature"])
            #expect(readings.map(\.value) == [24.3, 61.25, 812, -0.5])
            #expect(readings.map(\.unit) == ["celsius \"C\"", "percent", nil, "celsius"])
            #expect(try await db.telemetry.messageCount(tenantID: "tenant-a") == 2)
            // The new shape takes new messages, and a migrated message is still a duplicate.
            let again = Fixtures.telemetry(at: 3_000, readings: [("temperature", 20)])
            #expect(try await db.telemetry.ingest([again]) == IngestCounts(inserted: 1, duplicates: 0))
        }
    }
    /// A PostgreSQL database at version 10 with a backlog, part of it delivered and one row parked, then migrated:
    /// the running totals start from the rows already there.
    @Test("version 11 starts the pending totals from the backlog already there")
    func pendingTallyStartsFromTheBacklog() async throws {
        try await TestDatabase.with(.postgres, migrate: false) { db in
            try await Self.apply(Migrations.all.filter { $0.version < Migrations.pendingTally.version }, engine: .postgres, to: db)
            _ = try await db.telemetry.ingest((0..<10).map { Fixtures.telemetry(at: Int64($0) * 1000, readings: [("temperature", 1)]) })
            _ = try await db.ingress.storeEvents([Fixtures.event(), Fixtures.event()])
            // The cursor of version 10 after the fourth row: four delivered, eight pending.
            try await db.execute(unsafeSQL: """
                UPDATE sync_cursor SET (txid, last_id) = (SELECT txid, id FROM sync_outbox ORDER BY txid, id OFFSET 3 LIMIT 1) WHERE stream = 'cloud'
                """)
            try await db.migrate()
            #expect(try await db.scalarInt(unsafeSQL: "SELECT count(*) FROM schema_migrations") == Migrations.all.count)
            #expect(try await db.outbox.stats(now: .now()).pending == 8)
            // From then on the trigger and the cursor keep it: three more written, five delivered (one parked).
            _ = try await db.telemetry.ingest((10..<13).map { Fixtures.telemetry(at: Int64($0) * 1000, readings: [("humidity", 2)]) })
            let lease = try #require(try await db.outbox.acquireLease(stream: OutboxStream.cloud, owner: "t", durationMilliseconds: 60_000))
            let rows = try await db.readFinal(after: lease.cursor, limit: 5, count: 5)
            #expect(try await db.outbox.commit(OutboxDelivery(
                owner: "t", through: rows[4].position, rejections: [OutboxRejection(row: rows[2], reason: "bad")], tenants: ["tenant-a"])))
            let stats = try await db.outbox.stats(now: .now())
            #expect(stats.pending == 6)
            #expect(stats.deadLetter == 1)
            #expect(try await db.scalarInt(unsafeSQL: "SELECT count(*) FROM sync_outbox_tally") == 0)
        }
    }
}
