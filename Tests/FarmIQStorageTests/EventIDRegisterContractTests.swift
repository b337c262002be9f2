import FarmIQTestSupport
import FarmIQCore
import Foundation
import Testing
@testable import FarmIQStorage

/// The event-id register, reject fingerprints and saturating roll-ups (migration 4), on both engines.
@Suite("Event-id register and roll-up limits", .tags(.postgres), TestServices.servicesRequired)
struct EventIDRegisterContractTests {
    @Test(arguments: DatabaseEngine.allCases)
    func oneIDSpaceAcrossKinds(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine) { db in
            let x = Fixtures.eventID()
            let y = Fixtures.eventID()
            let telemetryX = Fixtures.telemetry(eventID: x, at: 0, readings: [("temperature", 1)])
            let telemetryY = Fixtures.telemetry(eventID: y, at: 0, readings: [("temperature", 1)])
            let eventX = Fixtures.event(eventID: x)
            let eventY = Fixtures.event(eventID: y)
            let otherTenantX = Fixtures.event(tenant: "tenant-b", eventID: x)
            let first = try await db.telemetry.ingest([telemetryX])
            #expect(first == IngestCounts(inserted: 1, duplicates: 0))
            let second = try await db.ingress.storeEvents([eventX])
            #expect(second == IngestCounts(inserted: 0, duplicates: 1))
            let third = try await db.ingress.storeEvents([eventY])
            #expect(third == IngestCounts(inserted: 1, duplicates: 0))
            let fourth = try await db.telemetry.ingest([telemetryY])
            #expect(fourth == IngestCounts(inserted: 0, duplicates: 1))
            // Another tenant has its own space.
            let fifth = try await db.ingress.storeEvents([otherTenantX])
            #expect(fifth == IngestCounts(inserted: 1, duplicates: 0))
            #expect(try await db.scalarInt(unsafeSQL: "SELECT count(*) FROM sync_outbox") == 3)
            #expect(try await db.ingress.eventIDCount() == 3)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func duplicateAfterTheRawRowIsGone(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine) { db in
            let message = Fixtures.telemetry(at: 0, readings: [("temperature", 7)])
            _ = try await db.telemetry.ingest([message])
            try await db.execute(unsafeSQL: "DELETE FROM telemetry_raw")
            let again = try await db.telemetry.ingest([message])
            #expect(again == IngestCounts(inserted: 0, duplicates: 1))
            let minute = try await db.telemetry.aggregates(AggregateQuery(
                tenantID: "tenant-a", bucket: .minute, from: Fixtures.time(0), to: Fixtures.time(60_000)))
            #expect(minute.map(\.count) == [1])
            #expect(try await db.scalarInt(unsafeSQL: "SELECT count(*) FROM sync_outbox") == 1)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func pruningRemovesOnlyIDsPastTheHorizon(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine) { db in
            let old = Fixtures.eventID()
            _ = try await db.ingress.storeEvents([Fixtures.event(eventID: old), Fixtures.event()])
            try await db.execute(unsafeSQL: "UPDATE ingest_event_ids SET first_seen_at = 1000 WHERE event_id = '\(old)'")
            #expect(try await db.ingress.pruneEventIDs(seenBefore: Timestamp(millisecondsSinceEpoch: 2000), limit: 10) == 1)
            #expect(try await db.ingress.pruneEventIDs(seenBefore: Timestamp(millisecondsSinceEpoch: 2000), limit: 10) == 0)
            #expect(try await db.ingress.eventIDCount() == 1)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aRedeliveredRejectIsRecordedOnce(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine) { db in
            func reject(_ fingerprint: [UInt8]?, _ detail: String) -> IngestReject {
                IngestReject(topic: "t", tenantID: "tenant-a", reason: .invalidJSON, detail: detail, payload: [1, 2], receivedAt: Fixtures.time(0),
                             fingerprint: fingerprint)
            }
            let a = [UInt8](repeating: 1, count: 32)
            let b = [UInt8](repeating: 2, count: 32)
            let first = try await db.ingress.recordRejects([reject(a, "a"), reject(b, "b"), reject(a, "a again"), reject(nil, "n")])
            #expect(first == [true, true, false, true])
            let second = try await db.ingress.recordRejects([reject(b, "b redelivered"), reject(nil, "n2")])
            #expect(second == [false, true])
            #expect(try await db.ingress.rejects(tenantID: nil, limit: 10).map(\.detail).sorted() == ["a", "b", "n", "n2"])
        }
    }

    /// The example: 1.7e308 twice, then -1.7e308 twice, one series and minute. Finite sums saturate at
    /// ±Double.greatestFiniteMagnitude in one batch (Swift) and across batches (the engine's upsert).
    @Test(arguments: DatabaseEngine.allCases)
    func rollUpSumsSaturate(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine) { db in
            let values = [1.7e308, 1.7e308, -1.7e308, -1.7e308]
            _ = try await db.telemetry.ingest(values.enumerated().map { Fixtures.telemetry(at: Int64($0.offset) * 1000, readings: [("temperature", $0.element)]) })
            for (offset, value) in values.enumerated() {
                _ = try await db.telemetry.ingest([Fixtures.telemetry(device: "dev-2", at: Int64(offset) * 1000, readings: [("temperature", value)])])
            }
            let minute = try await db.telemetry.aggregates(AggregateQuery(
                tenantID: "tenant-a", bucket: .minute, from: Fixtures.time(0), to: Fixtures.time(60_000)))
            #expect(minute.map(\.count) == [4, 4])
            for bucket in minute {
                // max + 1.7e308 saturates to max; then two subtractions of 1.7e308.
                #expect(bucket.sum == (Double.greatestFiniteMagnitude - 1.7e308) - 1.7e308)
                #expect(bucket.min == -1.7e308 && bucket.max == 1.7e308)
            }
        }
    }
}
