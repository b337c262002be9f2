import FarmIQTestSupport
import FarmIQCore
import Foundation
import Testing
@testable import FarmIQStorage

/// The storage contract, run against both engines.
@Suite("Storage contract", .tags(.postgres), TestServices.servicesRequired)
struct StorageContractTests {
    @Test(arguments: DatabaseEngine.allCases)
    func migrationsAreIdempotent(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine, migrate: false) { db in
            #expect(db.engine == engine)
            try await db.migrate()
            try await db.migrate()
            #expect(try await db.scalarInt(unsafeSQL: "SELECT count(*) FROM schema_migrations") == Migrations.all.count)
            #expect(try await db.scalarInt(unsafeSQL: "SELECT max(version) FROM schema_migrations") == Migrations.all.last!.version)
            for table in ["telemetry_raw", "telemetry_agg", "device_events", "ingest_rejects", "sync_outbox", "sync_state"] {
                #expect(try await db.scalarInt(unsafeSQL: "SELECT count(*) FROM \(table)") == 0)
            }
            try await db.ping()
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func ingestThenQueryRawAggregatesLatest(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine) { db in
            let first = Fixtures.telemetry(at: 1_000, readings: [("temperature", 20), ("humidity", 60), ("co2", 400)])
            let second = Fixtures.telemetry(at: 30_000, readings: [("temperature", 24), ("humidity", 50)])
            let nextMinute = Fixtures.telemetry(at: 61_000, readings: [("temperature", 22)])
            let counts = try await db.telemetry.ingest([first, second, nextMinute])
            #expect(counts == IngestCounts(inserted: 3, duplicates: 0))

            let raw = try await db.telemetry.rawReadings(RawReadingQuery(tenantID: "tenant-a", from: Fixtures.time(0), to: Fixtures.time(3_600_000)))
            #expect(raw.count == 6)
            #expect(raw.map(\.occurredAt) == raw.map(\.occurredAt).sorted())
            #expect(raw.first == RawReading(
                tenantID: "tenant-a", eventID: first.header.eventID, index: 0, farmID: "farm-1", barnID: "barn-1", deviceID: "dev-1",
                metric: "temperature", value: 20, unit: "u", occurredAt: Fixtures.time(1_000), receivedAt: Fixtures.time(1_005)))
            let temperatures = try await db.telemetry.rawReadings(RawReadingQuery(
                tenantID: "tenant-a", deviceID: "dev-1", metric: "temperature", from: Fixtures.time(0), to: Fixtures.time(61_000)))
            #expect(temperatures.map(\.value) == [20, 24])  // `to` is exclusive
            let limited = try await db.telemetry.rawReadings(RawReadingQuery(tenantID: "tenant-a", from: Fixtures.time(0), to: Fixtures.time(3_600_000), limit: 2))
            #expect(limited.count == 2)

            let minutes = try await db.telemetry.aggregates(AggregateQuery(
                tenantID: "tenant-a", bucket: .minute, metric: "temperature", from: Fixtures.time(0), to: Fixtures.time(3_600_000)))
            #expect(minutes.count == 2)
            let firstMinute = try #require(minutes.first)
            #expect(firstMinute.bucketStart == Fixtures.time(0))
            #expect(firstMinute.count == 2)
            #expect(firstMinute.sum == 44)
            #expect(firstMinute.min == 20)
            #expect(firstMinute.max == 24)
            #expect(firstMinute.last == 24)
            #expect(firstMinute.avg == 22)
            #expect(minutes.last?.bucketStart == Fixtures.time(60_000))
            #expect(minutes.last?.last == 22)

            let hours = try await db.telemetry.aggregates(AggregateQuery(
                tenantID: "tenant-a", bucket: .hour, from: Fixtures.time(0), to: Fixtures.time(3_600_000)))
            #expect(hours.count == 3)  // co2, humidity, temperature
            let hourTemperature = try #require(hours.first { $0.metric == "temperature" })
            #expect(hourTemperature.count == 3)
            #expect(hourTemperature.sum == 66)
            #expect(hourTemperature.last == 22)
            #expect(hourTemperature.lastOccurredAt == Fixtures.time(61_000))

            let latest = try await db.telemetry.latest(tenantID: "tenant-a", deviceID: nil, metric: nil)
            #expect(Dictionary(uniqueKeysWithValues: latest.map { ($0.metric, $0.value) }) == ["co2": 400, "humidity": 50, "temperature": 22])
            let latestHumidity = try await db.telemetry.latest(tenantID: "tenant-a", deviceID: "dev-1", metric: "humidity")
            #expect(latestHumidity.map(\.occurredAt) == [Fixtures.time(30_000)])
            // Latest comes from the newest hour bucket.
            _ = try await db.telemetry.ingest([Fixtures.telemetry(at: 7_200_000, readings: [("temperature", 30)])])
            let latestTemperature = try await db.telemetry.latest(tenantID: "tenant-a", deviceID: "dev-1", metric: "temperature")
            #expect(latestTemperature.map(\.value) == [30])
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func duplicatesAreStoredAndAggregatedOnce(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine) { db in
            let message = Fixtures.telemetry(at: 1_000, readings: [("temperature", 20), ("humidity", 60)])
            let other = Fixtures.telemetry(at: 2_000, readings: [("temperature", 21)])
            let first = try await db.telemetry.ingest([message, message, other, message])
            #expect(first == IngestCounts(inserted: 2, duplicates: 2))
            let again = try await db.telemetry.ingest([other, message])
            #expect(again == IngestCounts(inserted: 0, duplicates: 2))
            let mixed = try await db.telemetry.ingest([message, Fixtures.telemetry(at: 3_000, readings: [("temperature", 22)])])
            #expect(mixed == IngestCounts(inserted: 1, duplicates: 1))

            #expect(try await db.scalarInt(unsafeSQL: "SELECT count(*) FROM telemetry_raw") == 3)  // one row per message
            #expect(try await db.scalarInt(unsafeSQL: "SELECT count(*) FROM sync_outbox") == 3)
            #expect(try await db.scalarInt(unsafeSQL: "SELECT count(DISTINCT event_id) FROM sync_outbox") == 3)
            let minute = try await db.telemetry.aggregates(AggregateQuery(
                tenantID: "tenant-a", bucket: .minute, metric: "temperature", from: Fixtures.time(0), to: Fixtures.time(60_000)))
            #expect(minute.map(\.count) == [3])
            #expect(minute.map(\.sum) == [63])
            let body = try await db.scalarInt(unsafeSQL: "SELECT count(*) FROM sync_outbox WHERE body LIKE '%\"event_id\":\"\(message.header.eventID)\"%' AND status = 0")
            #expect(body == 1)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func lateDataLandsInItsBucketAndKeepsLast(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine) { db in
            _ = try await db.telemetry.ingest([Fixtures.telemetry(at: 90_000, readings: [("temperature", 25)])])
            // Late, same minute bucket: counted, but `last` stays the reading at 90 s.
            _ = try await db.telemetry.ingest([Fixtures.telemetry(at: 70_000, readings: [("temperature", 10)])])
            // Late, an earlier minute bucket.
            _ = try await db.telemetry.ingest([Fixtures.telemetry(at: 5_000, readings: [("temperature", 5)])])
            let minutes = try await db.telemetry.aggregates(AggregateQuery(
                tenantID: "tenant-a", bucket: .minute, from: Fixtures.time(0), to: Fixtures.time(3_600_000)))
            #expect(minutes.map(\.bucketStart) == [Fixtures.time(0), Fixtures.time(60_000)])
            #expect(minutes.map(\.count) == [1, 2])
            #expect(minutes.map(\.last) == [5, 25])
            #expect(minutes.last?.lastOccurredAt == Fixtures.time(90_000))
            #expect(minutes.last?.min == 10)
            let hour = try await db.telemetry.aggregates(AggregateQuery(
                tenantID: "tenant-a", bucket: .hour, from: Fixtures.time(0), to: Fixtures.time(3_600_000)))
            #expect(hour.map(\.count) == [3])
            #expect(hour.map(\.last) == [25])
            #expect(try await db.telemetry.latest(tenantID: "tenant-a", deviceID: "dev-1", metric: nil).map(\.value) == [25])

            // Same occurred_at: the larger event_id wins, whichever batch came first.
            let low = Fixtures.telemetry(eventID: "00000000-0000-4000-8000-000000000001", at: 200_000, readings: [("temperature", 1)])
            let high = Fixtures.telemetry(eventID: "ffffffff-0000-4000-8000-000000000001", at: 200_000, readings: [("temperature", 2)])
            _ = try await db.telemetry.ingest([high])
            _ = try await db.telemetry.ingest([low])
            let tie = try await db.telemetry.aggregates(AggregateQuery(
                tenantID: "tenant-a", bucket: .minute, from: Fixtures.time(180_000), to: Fixtures.time(240_000)))
            #expect(tie.map(\.last) == [2])
            #expect(tie.map(\.count) == [2])
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func queriesAreScopedToTheTenant(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine) { db in
            let sharedID = Fixtures.eventID()  // the same event id in two tenants is two messages
            _ = try await db.telemetry.ingest([
                Fixtures.telemetry(tenant: "tenant-a", eventID: sharedID, at: 1_000, readings: [("temperature", 1)]),
                Fixtures.telemetry(tenant: "tenant-b", eventID: sharedID, at: 1_000, readings: [("temperature", 100)]),
                Fixtures.telemetry(tenant: "tenant-b", at: 2_000, readings: [("temperature", 200)]),
            ])
            let window = (Fixtures.time(0), Fixtures.time(3_600_000))
            let rawA = try await db.telemetry.rawReadings(RawReadingQuery(tenantID: "tenant-a", deviceID: "dev-1", from: window.0, to: window.1))
            #expect(rawA.map(\.value) == [1])
            #expect(rawA.allSatisfy { $0.tenantID == "tenant-a" })
            let rawB = try await db.telemetry.rawReadings(RawReadingQuery(tenantID: "tenant-b", from: window.0, to: window.1))
            #expect(rawB.map(\.value) == [100, 200])
            let aggA = try await db.telemetry.aggregates(AggregateQuery(tenantID: "tenant-a", bucket: .hour, deviceID: "dev-1", from: window.0, to: window.1))
            #expect(aggA.map(\.count) == [1])
            #expect(aggA.map(\.sum) == [1])
            let latestA = try await db.telemetry.latest(tenantID: "tenant-a", deviceID: "dev-1", metric: "temperature")
            #expect(latestA.map(\.value) == [1])
            #expect(try await db.telemetry.latest(tenantID: "tenant-c", deviceID: nil, metric: nil).isEmpty)

            try await db.ingress.recordRejects([
                IngestReject(topic: "farmiq/v1/tenant-a/f/b/d/telemetry", tenantID: "tenant-a", reason: .invalidJSON, detail: "x", payload: [1], receivedAt: window.0),
                IngestReject(topic: "farmiq/v1/tenant-b/f/b/d/telemetry", tenantID: "tenant-b", reason: .invalidJSON, detail: "y", payload: [2], receivedAt: window.0),
            ])
            #expect(try await db.ingress.rejects(tenantID: "tenant-a", limit: 10).map(\.detail) == ["x"])
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func eventsAndRejectsRoundTrip(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine) { db in
            let status = Fixtures.event()
            let session = Fixtures.event(type: "weighvision.session.started")
            #expect(try await db.ingress.storeEvents([status, session, status]) == IngestCounts(inserted: 2, duplicates: 1))
            #expect(try await db.ingress.storeEvents([session]) == IngestCounts(inserted: 0, duplicates: 1))
            #expect(try await db.scalarInt(unsafeSQL: "SELECT count(*) FROM device_events") == 2)
            #expect(try await db.scalarInt(unsafeSQL: "SELECT count(*) FROM sync_outbox WHERE event_type = 'weighvision.session.started'") == 1)
            #expect(try await db.scalarInt(unsafeSQL: "SELECT count(*) FROM device_events e JOIN sync_outbox o ON o.id = e.outbox_id") == 2)
            #expect(try await db.scalarInt(unsafeSQL: "SELECT count(*) FROM device_events WHERE trace_id = '4bf92f3577b34da6a3ce929d0e0e4736'") == 2)

            let bytes: [UInt8] = [0xFF, 0x00, 0xFE, 0x7B, 0xC3, 0x28, 0x80] + Array(repeating: 0x41, count: 5000)
            let received = Fixtures.time(0)
            try await db.ingress.recordRejects([
                IngestReject(topic: "bad/topic", tenantID: nil, reason: .invalidTopic, detail: "topic is not farmiq/v1/…", payload: bytes, receivedAt: received),
                IngestReject(topic: "farmiq/v1/tenant-a/f/b/d/event", tenantID: "tenant-a", reason: .invalidUTF8, detail: "payload is not valid UTF-8", payload: [0xC3], receivedAt: received),
                IngestReject(topic: "farmiq/v1/tenant-a/f/b/d/event", tenantID: "tenant-a", reason: .invalidUTF8, detail: "again", payload: [], receivedAt: received),
            ])
            let all = try await db.ingress.rejects(tenantID: nil, limit: 10)
            #expect(all.count == 3)
            #expect(all.map(\.detail) == ["again", "payload is not valid UTF-8", "topic is not farmiq/v1/…"])  // newest first
            let first = try #require(all.last)
            #expect(first.tenantID == nil)
            #expect(first.reason == "invalid_topic")
            #expect(first.payloadSize == bytes.count)
            #expect(first.payloadPrefix == Array(bytes.prefix(IngestReject.payloadPrefixLimit)))
            #expect(first.receivedAt == received)
            #expect(first.topic == "bad/topic")
            #expect(all.first?.payloadPrefix == [])
            #expect(try await db.ingress.rejects(tenantID: "tenant-a", limit: 1).map(\.detail) == ["again"])
            #expect(try await db.ingress.rejectCounts() == ["invalid_topic": 1, "invalid_utf8": 2])
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func outboxStats(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine) { db in
            #expect(try await db.outbox.stats(now: .now()) == OutboxStats(pending: 0, oldestPendingAgeSeconds: 0, deadLetter: 0))
            _ = try await db.telemetry.ingest((0..<5).map { Fixtures.telemetry(at: Int64($0) * 1000, readings: [("temperature", 1)]) })
            _ = try await db.ingress.storeEvents([Fixtures.event()])
            let later = Timestamp.now().adding(milliseconds: 10_000)
            let stats = try await db.outbox.stats(now: later)
            #expect(stats.pending == 6)
            #expect(stats.deadLetter == 0)
            #expect(stats.oldestPendingAgeSeconds >= 9.5 && stats.oldestPendingAgeSeconds < 30)

            try await db.execute(unsafeSQL: "UPDATE sync_outbox SET created_at = created_at - 60000 WHERE id = (SELECT min(id) FROM sync_outbox)")
            // Deliver the first two (one rejected by the cloud): pending 4, one dead letter, the oldest pending is the third.
            let lease = try #require(try await db.outbox.acquireLease(stream: OutboxStream.cloud, owner: "t", durationMilliseconds: 60_000))
            let rows = try await db.readFinal(after: lease.cursor, limit: 2, count: 2)
            #expect(try await db.outbox.commit(OutboxDelivery(
                owner: "t", through: rows[1].position, rejections: [OutboxRejection(row: rows[1], reason: "bad")], tenants: ["tenant-a"])))
            try await db.execute(unsafeSQL: "UPDATE sync_outbox SET created_at = created_at - 60000 WHERE id = (SELECT min(id) + 2 FROM sync_outbox)")
            let after = try await db.outbox.stats(now: later)
            #expect(after.pending == 4)
            #expect(after.deadLetter == 1)
            #expect(after.oldestPendingAgeSeconds >= 69.5 && after.oldestPendingAgeSeconds < 90)
            // Delivered rows purged, then more written: the count stays exact (SQLite counts by ids, not rows).
            // A chunk size that is not positive deletes nothing and returns (it used to loop forever on SQLite).
            for chunkSize in [0, -1] {
                #expect(try await db.outbox.purgeDelivered(stream: OutboxStream.cloud, olderThan: later, chunkSize: chunkSize) == 0)
            }
            #expect(try await db.outbox.purgeDelivered(stream: OutboxStream.cloud, olderThan: later, chunkSize: 10) == 2)
            _ = try await db.telemetry.ingest((5..<8).map { Fixtures.telemetry(at: Int64($0) * 1000, readings: [("temperature", 1)]) })
            let grown = try await db.outbox.stats(now: later)
            #expect(grown.pending == 7)
            #expect(grown.deadLetter == 1)
            // A batch holding a stored message: the first attempt's rows roll back, only the new ones count.
            let repeated = Fixtures.telemetry(at: 20_000, readings: [("temperature", 1)])
            _ = try await db.telemetry.ingest([repeated])
            #expect(try await db.telemetry.ingest([repeated] + (21..<24).map { Fixtures.telemetry(at: Int64($0) * 1000, readings: [("co2", 2)]) })
                == IngestCounts(inserted: 3, duplicates: 1))
            let event = Fixtures.event()
            _ = try await db.ingress.storeEvents([event, event, Fixtures.event()])
            #expect(try await db.outbox.stats(now: later).pending == 13)
        }
    }

    /// Two writers (gateway replicas) commit batches that share roll-up rows, listed in opposite orders. Upserted in
    /// batch order they took the row locks in opposite orders and PostgreSQL broke the deadlock after its 1 s
    /// `deadlock_timeout` (the batch was then retried); in primary-key order they only wait for each other.
    @Test("concurrent batches sharing roll-up rows never deadlock")
    func concurrentBatchesSharingRollUpsDoNotDeadlock() async throws {
        try await TestDatabase.with(.postgres) { db in
            for round in 0..<20 {
                let devices = (0..<200).map { "dev-\($0)" }
                let forward = devices.map { Fixtures.telemetry(device: $0, at: Int64(round) * 1000, readings: [("temperature", 1), ("humidity", 2)]) }
                let backward = devices.reversed().map { Fixtures.telemetry(device: $0, at: Int64(round) * 1000 + 1, readings: [("temperature", 3), ("humidity", 4)]) }
                async let first = db.telemetry.ingest(forward)
                async let second = db.telemetry.ingest(backward)
                let counts = try await (first, second)
                #expect(counts.0.inserted == 200 && counts.1.inserted == 200)
            }
            // Every message in the roll-ups once: 20 rounds × 400 messages × 2 readings, in the 1-minute buckets.
            #expect(try await db.scalarInt(unsafeSQL: "SELECT sum(count)::int8 FROM telemetry_agg WHERE bucket_size = 60") == 16000)
            // Backends report their counters at most once a second, when idle.
            try await Task.sleep(for: .milliseconds(2500))
            #expect(try await db.scalarInt(unsafeSQL: "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()") == 0)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func retentionDeletesOnlySyncedRows(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine) { db in
            let old = Fixtures.baseTime - 86_400_000
            let delivered = Fixtures.telemetry(at: 0, readings: [("temperature", 1), ("humidity", 2)], receivedAt: old)
            let pending = Fixtures.telemetry(at: 0, readings: [("temperature", 3)], receivedAt: old)
            let dead = Fixtures.telemetry(at: 0, readings: [("temperature", 4)], receivedAt: old)
            let deliveredRecent = Fixtures.telemetry(at: 0, readings: [("temperature", 5)])
            _ = try await db.telemetry.ingest([delivered, pending, dead, deliveredRecent])
            // Deliver all four (`dead` rejected and parked), then re-queue `pending` below.
            try await db.execute(unsafeSQL: "UPDATE sync_outbox SET created_at = 0")
            let lease = try #require(try await db.outbox.acquireLease(stream: OutboxStream.cloud, owner: "t", durationMilliseconds: 60_000))
            let rows = try await db.readFinal(after: lease.cursor, limit: 10, count: 4)
            #expect(rows.map(\.eventID) == [delivered, pending, dead, deliveredRecent].map(\.header.eventID))
            let deadRow = try #require(rows.first { $0.eventID == dead.header.eventID })
            #expect(try await db.outbox.commit(OutboxDelivery(
                owner: "t", through: rows[3].position, rejections: [OutboxRejection(row: deadRow, reason: "bad")], tenants: ["tenant-a"])))
            // `pending` is made undelivered again: a new outbox row after the cursor (as a retried dead letter would be).
            try await db.execute(unsafeSQL: "INSERT INTO sync_outbox (tenant_id, event_id, event_type, occurred_at, created_at, body) SELECT tenant_id, event_id, event_type, occurred_at, created_at, body FROM sync_outbox WHERE event_id = '\(pending.header.eventID)'")
            try await db.execute(unsafeSQL: "UPDATE telemetry_raw SET outbox_id = (SELECT max(id) FROM sync_outbox) WHERE event_id = '\(pending.header.eventID)'")
            // Purging delivered outbox rows does not make undelivered or parked readings deletable.
            #expect(try await db.outbox.purgeDelivered(stream: OutboxStream.cloud, olderThan: .now(), chunkSize: 2) == 4)
            let cutoff = Timestamp(millisecondsSinceEpoch: Fixtures.baseTime - 3_600_000)
            #expect(try await db.telemetry.deleteSyncedRaw(olderThan: cutoff, limit: 1) == 1)  // `delivered`: one row per message
            #expect(try await db.telemetry.deleteSyncedRaw(olderThan: cutoff, limit: 100) == 0)
            let left = try await db.telemetry.rawReadings(RawReadingQuery(tenantID: "tenant-a", from: Fixtures.time(0), to: Fixtures.time(1)))
            #expect(Set(left.map(\.eventID)) == [pending.header.eventID, dead.header.eventID, deliveredRecent.header.eventID])
            // Aggregates are kept.
            let hour = try await db.telemetry.aggregates(AggregateQuery(tenantID: "tenant-a", bucket: .hour, metric: "temperature", from: Fixtures.time(0), to: Fixtures.time(1)))
            #expect(hour.map(\.count) == [4])
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func concurrentOverlappingBatchesStoreEachMessageOnce(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine) { db in
            let messages = (0..<600).map { Fixtures.telemetry(device: "dev-\($0 % 7)", at: Int64($0) * 100, readings: [("temperature", Double($0)), ("humidity", 1)]) }
            // Two replicas receive the same stream (shared subscription redelivery, overlapping windows) at the
            // same moment: batches of 50, the second replica's windows shifted by 25.
            let replicaA = stride(from: 0, to: 600, by: 50).map { Array(messages[$0..<($0 + 50)]) }
            let replicaB = [Array(messages[0..<25])] + stride(from: 25, to: 575, by: 50).map { Array(messages[$0..<($0 + 50)]) } + [Array(messages[575..<600])]
            let totals = try await withThrowingTaskGroup(of: IngestCounts.self) { group in
                for batches in [replicaA, replicaB] {
                    group.addTask {
                        var sum = IngestCounts(inserted: 0, duplicates: 0)
                        for batch in batches {
                            var attempts = 0
                            while true {
                                do {
                                    let counts = try await db.telemetry.ingest(batch)
                                    sum.inserted += counts.inserted
                                    sum.duplicates += counts.duplicates
                                    break
                                } catch let error as EdgeError where error.code == .writeConflict && attempts < 5 {
                                    attempts += 1  // the caller's retry of a conflicting batch
                                }
                            }
                        }
                        return sum
                    }
                }
                var total = IngestCounts(inserted: 0, duplicates: 0)
                for try await counts in group {
                    total.inserted += counts.inserted
                    total.duplicates += counts.duplicates
                }
                return total
            }
            #expect(totals.inserted == 600)
            #expect(totals.duplicates == 600)
            #expect(try await db.scalarInt(unsafeSQL: "SELECT count(*) FROM telemetry_raw") == 600)  // one row per message
            #expect(try await db.scalarInt(unsafeSQL: "SELECT count(*) FROM sync_outbox") == 600)
            #expect(try await db.scalarInt(unsafeSQL: "SELECT CAST(sum(count) AS BIGINT) FROM telemetry_agg WHERE bucket_size = 60") == 1200)
            #expect(try await db.scalarInt(unsafeSQL: "SELECT CAST(sum(count) AS BIGINT) FROM telemetry_agg WHERE bucket_size = 3600") == 1200)
        }
    }
}
