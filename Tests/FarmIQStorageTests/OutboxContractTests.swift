import FarmIQTestSupport
import FarmIQCore
import Foundation
import PostgresNIO
import Testing
@testable import FarmIQStorage

/// The outbox reader, cursor, lease, dead letters and purge, against both engines.
@Suite("Outbox contract", .tags(.postgres), TestServices.servicesRequired)
struct OutboxContractTests {
    static func ingest(_ db: EdgeDatabase, count: Int, batch: Int = 100, type: String? = nil) async throws -> [String] {
        var ids: [String] = []
        var written = 0
        while written < count {
            let n = min(batch, count - written)
            if let type {
                let events = (0..<n).map { _ in Fixtures.event(type: type) }
                _ = try await db.ingress.storeEvents(events)
                ids += events.map(\.header.eventID)
            } else {
                let messages = (0..<n).map { i in Fixtures.telemetry(at: Int64(written + i), readings: [("temperature", 1)]) }
                _ = try await db.telemetry.ingest(messages)
                ids += messages.map(\.header.eventID)
            }
            written += n
        }
        return ids
    }

    /// Reads and commits everything after the cursor in batches of `limit`.
    static func drain(_ db: EdgeDatabase, owner: String = "t", limit: Int) async throws -> [OutboxRow] {
        let lease = try #require(try await db.outbox.acquireLease(stream: OutboxStream.cloud, owner: owner, durationMilliseconds: 60_000))
        var position = lease.cursor
        var all: [OutboxRow] = []
        while true {
            let rows = try await db.outbox.read(after: position, limit: limit)
            guard let last = rows.last else {
                // PostgreSQL: a transaction running anywhere in the cluster (parallel tests) holds the snapshot
                // xmin back for a moment; rows after the cursor that are not final yet still count as pending.
                if try await db.outbox.stats(now: .now()).pending == 0 { return all }
                try await Task.sleep(for: .milliseconds(20))
                continue
            }
            #expect(rows.map(\.position) == rows.map(\.position).sorted())
            #expect(rows.first!.position > position)
            position = last.position
            #expect(try await db.outbox.commit(OutboxDelivery(owner: owner, through: position, tenants: Set(rows.map(\.tenantID)))))
            all += rows
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func readsEveryRowOnceAcrossBatches(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine) { db in
            let written = try await Self.ingest(db, count: 2_345)
            let first = try await Self.drain(db, limit: 300)
            #expect(first.map(\.eventID) == written)
            #expect(Set(first.map(\.eventID)).count == written.count)
            #expect(try await db.outbox.stats(now: .now()).pending == 0)
            // Later rows come after the cursor; nothing is read twice.
            let more = try await Self.ingest(db, count: 150)
            let second = try await Self.drain(db, limit: 1000)
            #expect(second.map(\.eventID) == more)
            #expect(try await db.outbox.cursor(stream: OutboxStream.cloud) == second.last?.position)
            // sync_state: last success per tenant and the forwarder's row.
            let state = try await db.outbox.syncState()
            #expect(state.map(\.tenantID) == [SyncStateRow.forwarder, "tenant-a"])
            #expect(state.allSatisfy { $0.lastSuccessAt != nil })
            try await db.outbox.setForwarderState("idle", detail: "caught up")
            #expect(try await db.outbox.syncState().first?.state == "idle")
        }
    }

    @Test func cursorSurvivesReopen() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("farmiq-outbox-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = DatabaseURL.sqlite(path: directory.appendingPathComponent("edge.sqlite").path)
        let position = try await Self.withSQLite(url) { db in
            _ = try await Self.ingest(db, count: 50)
            return try await Self.drain(db, limit: 20).last!.position
        }
        try await Self.withSQLite(url) { db in
            #expect(try await db.outbox.cursor(stream: OutboxStream.cloud) == position)
            _ = try await Self.ingest(db, count: 5)
            #expect(try await db.outbox.stats(now: .now()).pending == 5)
            #expect(try await Self.drain(db, limit: 20).count == 5)
        }
    }

    static func withSQLite<T: Sendable>(_ url: DatabaseURL, _ body: @Sendable (EdgeDatabase) async throws -> T) async throws -> T {
        let db = try EdgeDatabase.open(url, logger: TestDatabase.logger)
        try await db.migrate()
        do {
            let result = try await body(db)
            db.close()
            try await db.run()
            return result
        } catch {
            db.close()
            try await db.run()
            throw error
        }
    }

    /// A long transaction holds an early outbox row while later rows commit: the reader stops below it (snapshot
    /// xmin) and reads it, then the later rows, once it commits. Nothing is skipped.
    @Test func longTransactionRowIsNotSkipped() async throws {
        try await TestDatabase.with(.postgres) { db in
            guard case .postgres(let postgres) = db.backend else { return }
            let before = try await Self.ingest(db, count: 10)
            let (opened, openedContinuation) = AsyncStream.makeStream(of: Void.self)
            let (release, releaseContinuation) = AsyncStream.makeStream(of: Void.self)
            let lateID = Fixtures.eventID()
            async let long: Void = postgres.client.withTransaction(logger: TestDatabase.logger) { connection in
                try await connection.query("""
                    INSERT INTO sync_outbox (tenant_id, event_id, event_type, occurred_at, created_at, body)
                    VALUES ('tenant-a', \(lateID)::uuid, 'device.status', 0, 0, '{}')
                    """, logger: TestDatabase.logger)
                openedContinuation.yield()
                for await _ in release { break }
            }
            for await _ in opened { break }
            let after = try await Self.ingest(db, count: 20)
            // Only the rows before the long transaction are final.
            let lease = try #require(try await db.outbox.acquireLease(stream: OutboxStream.cloud, owner: "t", durationMilliseconds: 60_000))
            var firstRead = try await db.outbox.read(after: lease.cursor, limit: 1000)
            for _ in 0..<250 where firstRead.count < before.count {  // other tests' transactions may hold xmin back briefly
                try await Task.sleep(for: .milliseconds(20))
                firstRead = try await db.outbox.read(after: lease.cursor, limit: 1000)
            }
            #expect(firstRead.map(\.eventID) == before)
            #expect(try await db.outbox.commit(OutboxDelivery(owner: "t", through: firstRead.last!.position, tenants: ["tenant-a"])))
            #expect(try await db.outbox.read(after: firstRead.last!.position, limit: 1000).isEmpty)
            #expect(try await db.outbox.stats(now: .now()).pending == 20)  // committed but not yet final rows count as pending
            releaseContinuation.yield()
            try await long
            let rest = try await Self.drain(db, limit: 7)
            #expect(rest.map(\.eventID) == [lateID] + after)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func deadLettersRoundTrip(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine) { db in
            _ = try await Self.ingest(db, count: 3, type: "device.status")
            let poison = try await Self.ingest(db, count: 2, type: "vendor.poison")
            let lease = try #require(try await db.outbox.acquireLease(stream: OutboxStream.cloud, owner: "t", durationMilliseconds: 60_000))
            let rows = try await db.readFinal(after: lease.cursor, limit: 100, count: 5)
            let rejected = rows.filter { $0.eventType == "vendor.poison" }.map { OutboxRejection(row: $0, reason: "unknown event type") }
            #expect(try await db.outbox.commit(OutboxDelivery(owner: "t", through: rows.last!.position, rejections: rejected, tenants: ["tenant-a"])))
            let parked = try await db.outbox.deadLetters(limit: 10)
            #expect(parked.map(\.eventID) == poison)
            #expect(parked.allSatisfy { $0.reason == "unknown event type" && $0.eventType == "vendor.poison" && $0.body.contains($0.eventID) })
            #expect(try await db.outbox.stats(now: .now()) == OutboxStats(pending: 0, oldestPendingAgeSeconds: 0, deadLetter: 2))

            // Retry one: a new outbox row after the cursor, the same body.
            #expect(try await db.outbox.retryDeadLetters(.ids([parked[0].id])) == 1)
            let again = try await db.readFinal(after: rows.last!.position, limit: 100, count: 1)
            #expect(again.map(\.eventID) == [poison[0]])
            #expect(again.first?.body == parked[0].body)
            #expect(try await db.outbox.stats(now: .now()).deadLetter == 1)
            #expect(try await db.scalarInt(unsafeSQL: "SELECT count(*) FROM device_events WHERE outbox_id = \(again[0].position.id)") == 1)
            // Discard the other by type; retry of nothing is 0.
            #expect(try await db.outbox.discardDeadLetters(.eventType("vendor.poison")) == 1)
            #expect(try await db.outbox.deadLetters(limit: 10).isEmpty)
            #expect(try await db.outbox.retryDeadLetters(.all) == 0)
        }
    }

    /// `telemetry_raw` has no key of its own (migration 10): a retried telemetry dead letter finds its raw row
    /// through the series index, so raw retention keeps the row until the new outbox row is delivered.
    @Test(arguments: DatabaseEngine.allCases)
    func retriedTelemetryDeadLetterRelinksItsRawRow(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine) { db in
            let ids = try await Self.ingest(db, count: 4)
            let lease = try #require(try await db.outbox.acquireLease(stream: OutboxStream.cloud, owner: "t", durationMilliseconds: 60_000))
            let rows = try await db.readFinal(after: lease.cursor, limit: 100, count: 4)
            let rejected = [OutboxRejection(row: rows[2], reason: "refused by the cloud")]
            #expect(try await db.outbox.commit(OutboxDelivery(owner: "t", through: rows.last!.position, rejections: rejected, tenants: ["tenant-a"])))
            let parked = try await db.outbox.deadLetters(limit: 10)
            #expect(parked.map(\.eventID) == [ids[2]])

            #expect(try await db.outbox.retryDeadLetters(.all) == 1)
            let again = try await db.readFinal(after: rows.last!.position, limit: 100, count: 1)
            #expect(again.map(\.eventID) == [ids[2]])
            let newID = try #require(again.first?.position.id)
            #expect(try await db.scalarInt(unsafeSQL: "SELECT count(*) FROM telemetry_raw WHERE outbox_id = \(newID)") == 1)
            #expect(try await db.scalarInt(unsafeSQL: "SELECT count(*) FROM telemetry_raw WHERE outbox_id = \(rows[2].position.id)") == 0)
            #expect(try await db.scalarInt(unsafeSQL: "SELECT count(*) FROM telemetry_raw") == 4)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func leaseFencesAStaleOwner(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine) { db in
            _ = try await Self.ingest(db, count: 10)
            // Read first: on PostgreSQL the rows become readable only once older transactions of the cluster end,
            // which can take long while other suites run; the lease steps below must fit in the lease.
            let rows = try await db.readFinal(after: .start, limit: 5, count: 5)
            try #require(rows.count == 5)
            let a = try #require(try await db.outbox.acquireLease(stream: OutboxStream.cloud, owner: "a", durationMilliseconds: 3_000))
            #expect(a.cursor == .start)
            #expect(try await db.outbox.acquireLease(stream: OutboxStream.cloud, owner: "b", durationMilliseconds: 3_000) == nil)
            #expect(try await db.outbox.acquireLease(stream: OutboxStream.cloud, owner: "a", durationMilliseconds: 3_000) != nil)  // renew
            #expect(try await db.outbox.commit(OutboxDelivery(owner: "a", through: rows[1].position, tenants: ["tenant-a"])))
            try await Task.sleep(for: .milliseconds(3_300))
            let b = try #require(try await db.outbox.acquireLease(stream: OutboxStream.cloud, owner: "b", durationMilliseconds: 60_000))
            #expect(b.cursor == rows[1].position)
            // The stale owner can neither advance the cursor nor renew.
            #expect(try await db.outbox.commit(OutboxDelivery(owner: "a", through: rows[4].position, tenants: ["tenant-a"])) == false)
            #expect(try await db.outbox.acquireLease(stream: OutboxStream.cloud, owner: "a", durationMilliseconds: 400) == nil)
            #expect(try await db.outbox.cursor(stream: OutboxStream.cloud) == rows[1].position)
            // The cursor never moves backwards.
            #expect(try await db.outbox.commit(OutboxDelivery(owner: "b", through: rows[0].position, tenants: ["tenant-a"])) == false)
            // A released lease is free at once.
            try await db.outbox.releaseLease(stream: OutboxStream.cloud, owner: "b")
            #expect(try await db.outbox.acquireLease(stream: OutboxStream.cloud, owner: "a", durationMilliseconds: 400) != nil)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func purgeKeepsUndeliveredRows(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine) { db in
            _ = try await Self.ingest(db, count: 25)
            let lease = try #require(try await db.outbox.acquireLease(stream: OutboxStream.cloud, owner: "t", durationMilliseconds: 60_000))
            let rows = try await db.readFinal(after: lease.cursor, limit: 12, count: 12)
            #expect(try await db.outbox.commit(OutboxDelivery(owner: "t", through: rows.last!.position, tenants: ["tenant-a"])))
            // Within the retention window nothing goes; past it, the 12 delivered rows go in chunks of 5.
            #expect(try await db.outbox.purgeDelivered(stream: OutboxStream.cloud, olderThan: Timestamp.now().adding(milliseconds: -3_600_000), chunkSize: 5) == 0)
            #expect(try await db.outbox.purgeDelivered(stream: OutboxStream.cloud, olderThan: Timestamp.now().adding(milliseconds: 1000), chunkSize: 5) == 12)
            #expect(try await db.scalarInt(unsafeSQL: "SELECT count(*) FROM sync_outbox") == 13)
            #expect(try await db.outbox.stats(now: .now()).pending == 13)
            #expect(try await Self.drain(db, limit: 100).count == 13)
        }
    }
}

extension EdgeDatabase {
    /// `outbox.read`, waiting (up to 5 s) until `count` rows are final: on PostgreSQL a transaction running anywhere
    /// in the cluster (the parallel tests' databases) holds the snapshot xmin back for a moment.
    func readFinal(after position: OutboxCursor, limit: Int, count: Int) async throws -> [OutboxRow] {
        // Up to 60 s: on PostgreSQL a row is readable once every older transaction of the cluster has ended, and
        // other suites' long transactions run beside this one.
        var rows = try await outbox.read(after: position, limit: limit)
        for _ in 0..<3000 where rows.count < count {
            try await Task.sleep(for: .milliseconds(20))
            rows = try await outbox.read(after: position, limit: limit)
        }
        return rows
    }
}
