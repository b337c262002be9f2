import FarmIQTestSupport
import FarmIQCore
import Foundation
import Testing
@testable import FarmIQStorage

/// `weight_sessions` / `weight_readings` on both engines (`contracts.md` §3a): ingest in any order and with
/// duplicates, finalization exactly once per revision, late events, timeouts, paging and tenant scope.
@Suite("Weigh session store", .tags(.postgres), TestServices.servicesRequired)
struct WeighSessionStoreTests {
    static let policy = SessionPolicy(grace: .seconds(30), timeout: .seconds(1800))

    /// A session event as the gateway hands it over (payload as the device sent it).
    static func event(
        _ type: String, session: String, n: Int, payload: [(String, JSONValue)], tenant: String = "tenant-a", device: String = "scale-1"
    ) -> DeviceEvent {
        DeviceEvent(
            address: Fixtures.address(tenant: tenant, device: device),
            header: EnvelopeHeader(schemaVersion: 1, eventID: Fixtures.eventID(), eventType: type,
                                   occurredAt: Fixtures.time(Int64(n) * 1000), traceID: nil),
            payload: .object([("session_id", .string(session))] + payload),
            receivedAt: Fixtures.time(Int64(n) * 1000 + 20))
    }

    static func session(_ id: String, tenant: String = "tenant-a", readings: [Double] = [6.9, 6.93, 6.95], ended: Bool = true) -> [DeviceEvent] {
        var events = [event("weighvision.session.started", session: id, n: 0, payload: [
            ("station_id", .string("st-1")), ("animal", .string("broiler")), ("expected_count", .number(JSONNumber(3))),
        ], tenant: tenant)]
        for (index, weight) in readings.enumerated() {
            events.append(event("weighvision.weight.reading", session: id, n: index + 1, payload: [
                ("seq", .number(JSONNumber(index))), ("weight_kg", .number(JSONNumber(weight))), ("stable", .bool(true)),
            ], tenant: tenant))
        }
        if ended { events.append(event("weighvision.session.ended", session: id, n: readings.count + 1, payload: [], tenant: tenant)) }
        return events
    }

    /// The finalized events in the outbox. The outbox reader sees a PostgreSQL row only once every older
    /// transaction of the cluster has ended (other tests run beside this one), so wait for `count` of them.
    static func finalizedEvents(_ db: EdgeDatabase, count: Int) async throws -> [JSONValue] {
        var bodies: [JSONValue] = []
        for _ in 0..<200 {
            bodies = []
            var cursor = OutboxCursor.start
            while true {
                let rows = try await db.outbox.read(after: cursor, limit: 1000)
                guard let last = rows.last else { break }
                cursor = last.position
                for row in rows where row.eventType == "weighvision.session.finalized" { bodies.append(try JSONParser.parse(row.body)) }
            }
            if bodies.count >= count { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        return bodies
    }

    /// Finalizes everything due at `now` (the finalization pass, without its loop).
    @discardableResult
    static func finalizeDue(_ db: EdgeDatabase, at now: Timestamp) async throws -> [SessionFinalization] {
        var results: [SessionFinalization] = []
        for session in try await db.sessions.dueSessions(now: now, limit: 100) {
            if let result = try await db.sessions.finalize(session, images: .none, eventID: Fixtures.eventID(), at: now) { results.append(result) }
        }
        return results
    }

    @Test("shuffled and duplicated events, in several batches, give the one session and readings, each stored and queued once", arguments: DatabaseEngine.allCases)
    func anyOrderWithDuplicates(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine) { db in
            let id = Fixtures.eventID()
            let events = Self.session(id)
            var generator = SystemRandomNumberGenerator()
            let shuffled = (events + events.prefix(3)).shuffled(using: &generator)
            var inserted = 0, duplicates = 0
            for chunk in stride(from: 0, to: shuffled.count, by: 3).map({ Array(shuffled[$0..<min($0 + 3, shuffled.count)]) }) {
                let counts = try await db.sessions.ingest(chunk + chunk.prefix(1), policy: Self.policy)
                inserted += counts.inserted
                duplicates += counts.duplicates
            }
            #expect(inserted == events.count)
            let stored = try #require(try await db.sessions.session(tenantID: "tenant-a", sessionID: id))
            #expect(stored.readings.map(\.seq) == [0, 1, 2])
            #expect(stored.session.stationID == "st-1" && stored.session.expectedCount == 3 && stored.session.endReason == .completed)
            #expect(stored.session.status == .open && stored.session.revision == 0)
            #expect(stored.session.dueAt == Fixtures.time(4 * 1000 + 20).adding(milliseconds: 30_000))
            #expect(try await db.outbox.stats(now: .now()).pending == events.count)
            #expect(try await db.ingress.eventIDCount() == events.count)
        }
    }

    @Test("finalization: exactly once per revision, the outbox event in the same transaction; a late reading makes revision 2", arguments: DatabaseEngine.allCases)
    func finalizeOncePerRevision(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine) { db in
            let id = Fixtures.eventID()
            _ = try await db.sessions.ingest(Self.session(id), policy: Self.policy)
            #expect(try await db.sessions.dueSessions(now: Fixtures.time(10_000), limit: 10).isEmpty)  // inside the grace
            let due = try await db.sessions.dueSessions(now: Fixtures.time(60_000), limit: 10)
            #expect(due.map(\.sessionID) == [id])
            let first = try #require(try await db.sessions.finalize(due[0], images: .none, eventID: Fixtures.eventID(), at: Fixtures.time(60_000)))
            #expect(first.revision == 1 && first.status == .completed && first.scale.weightKg == 6.93 && first.birdCount == 3)
            // The same read state again (a second replica, or a retry after a crash): nothing.
            #expect(try await db.sessions.finalize(due[0], images: .none, eventID: Fixtures.eventID(), at: Fixtures.time(61_000)) == nil)
            #expect(try await db.sessions.dueSessions(now: Fixtures.time(120_000), limit: 10).isEmpty)
            var finalized = try await Self.finalizedEvents(db, count: 1)
            #expect(finalized.count == 1)
            #expect(finalized.first?["payload"]?["revision"] == .number(JSONNumber(1)))
            #expect(finalized.first?["device_id"] == .string("scale-1"))

            // A late reading: stored, the session reopens and is finalized again after the grace, revision 2.
            let late = Self.event("weighvision.weight.reading", session: id, n: 100, payload: [
                ("seq", .number(JSONNumber(9))), ("weight_kg", .number(JSONNumber(7.2))), ("stable", .bool(true)),
            ])
            #expect(try await db.sessions.ingest([late], policy: Self.policy).inserted == 1)
            let reopened = try #require(try await db.sessions.session(tenantID: "tenant-a", sessionID: id))
            #expect(reopened.session.status == .open && reopened.session.lateEvents && reopened.session.revision == 1)
            #expect(reopened.weightKg == 6.93)  // the last finalized result stays until the next revision
            let second = try await Self.finalizeDue(db, at: Fixtures.time(100_000 + 31_000))
            #expect(second.map(\.revision) == [2])
            #expect(second.first?.anomalies.contains("late_events") == true)
            finalized = try await Self.finalizedEvents(db, count: 2)
            #expect(finalized.count == 2)
            #expect(Set(finalized.compactMap { if case .string(let id)? = $0["event_id"] { id } else { nil } }).count == 2)  // a new event id per revision
            #expect(try await db.sessions.session(tenantID: "tenant-a", sessionID: id)?.session.revision == 2)
        }
    }

    @Test("a session with no ended times out; one event changing it after it was read blocks that finalization", arguments: DatabaseEngine.allCases)
    func timeoutAndConcurrentChange(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine) { db in
            let id = Fixtures.eventID()
            _ = try await db.sessions.ingest(Self.session(id, ended: false), policy: Self.policy)
            #expect(try await db.sessions.dueSessions(now: Fixtures.time(1_000_000), limit: 10).isEmpty)
            let due = try await db.sessions.dueSessions(now: Fixtures.time(3 * 1000 + 20 + 1_800_000), limit: 10)
            #expect(due.count == 1)
            // Another reading arrives between the read and the finalization: the finalization must not happen.
            _ = try await db.sessions.ingest([Self.event("weighvision.weight.reading", session: id, n: 50, payload: [
                ("seq", .number(JSONNumber(5))), ("weight_kg", .number(JSONNumber(6.94))), ("stable", .bool(true)),
            ])], policy: Self.policy)
            #expect(try await db.sessions.finalize(due[0], images: .none, eventID: Fixtures.eventID(), at: Fixtures.time(2_000_000)) == nil)
            let results = try await Self.finalizeDue(db, at: Fixtures.time(50 * 1000 + 20 + 1_800_000))
            #expect(results.map(\.status) == [.timedOut])
            #expect(results.first?.scale.readings == 4)
        }
    }

    @Test("pages newest first with a cursor; filters; another tenant sees nothing", arguments: DatabaseEngine.allCases)
    func pagingAndTenantScope(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine) { db in
            var ids: [String] = []
            for n in 0..<7 {
                let id = Fixtures.eventID()
                ids.append(id)
                // Sessions one minute apart.
                let events = Self.session(id).map { event in
                    DeviceEvent(address: event.address,
                                header: EnvelopeHeader(schemaVersion: 1, eventID: event.header.eventID, eventType: event.header.eventType,
                                                       occurredAt: event.header.occurredAt.adding(milliseconds: Int64(n) * 60_000), traceID: nil),
                                payload: event.payload, receivedAt: event.receivedAt.adding(milliseconds: Int64(n) * 60_000))
                }
                _ = try await db.sessions.ingest(events, policy: Self.policy)
            }
            _ = try await db.sessions.ingest(Self.session(Fixtures.eventID(), tenant: "tenant-b"), policy: Self.policy)
            var seen: [String] = []
            var query = SessionQuery(tenantID: "tenant-a", limit: 3)
            while true {
                let page = try await db.sessions.sessions(query)
                seen += page.map(\.session.sessionID)
                guard page.count == query.limit, let last = page.last else { break }
                query.cursor = SessionCursor(firstOccurredAt: last.session.firstOccurredAt.millisecondsSinceEpoch, sessionID: last.session.sessionID)
            }
            #expect(seen == ids.reversed())
            #expect(try await db.sessions.sessions(SessionQuery(tenantID: "tenant-c")).isEmpty)
            #expect(try await db.sessions.session(tenantID: "tenant-b", sessionID: ids[0]) == nil)
            #expect(try await db.sessions.sessions(SessionQuery(tenantID: "tenant-a", stationID: "st-2")).isEmpty)
            #expect(try await db.sessions.sessions(SessionQuery(tenantID: "tenant-a", status: .open)).count == 7)
            let window = try await db.sessions.sessions(SessionQuery(tenantID: "tenant-a", from: Fixtures.time(60_000), to: Fixtures.time(180_000)))
            #expect(window.map(\.session.sessionID) == [ids[2], ids[1]])
            let counts = try await db.sessions.sessionCounts(now: Fixtures.time(10_000_000))
            #expect(counts.byStatus["open"] == 8 && counts.due == 8)
        }
    }
}
