import FarmIQCore
import Logging
import PostgresNIO

/// ``WeighSessionStore`` on PostgreSQL. Ingest runs in one transaction that takes a transaction-scoped advisory
/// lock per session (in key order, so two gateway replicas writing the same session wait for each other instead
/// of overwriting each other's fold); finalization locks the session row (`FOR UPDATE`) and checks it is
/// unchanged, so two session-service replicas finalize each revision once.
struct PostgresWeighSessionStore: WeighSessionStore {
    let backend: PostgresBackend
    var logger: Logger { backend.logger }
    /// ``WeighSessionRow/columns`` with the uuid read as text (canonical lower case).
    static let columns = WeighSessionRow.columns.replacingOccurrences(of: "tenant_id, session_id,", with: "tenant_id, session_id::text,")

    func ingest(_ events: [DeviceEvent], policy: SessionPolicy) async throws -> IngestCounts {
        guard !events.isEmpty else { return IngestCounts(inserted: 0, duplicates: 0) }
        let (unique, repeats) = BatchDeduplication.firstOccurrences(events) {
            MessageKey(tenantID: $0.address.tenantID, eventID: $0.header.eventID)
        }
        let candidates = unique.map { events[$0] }
        let parsedAll = WeighSessionRow.parse(events)
        let parsed = unique.map { parsedAll[$0] }
        let logger = self.logger
        return try await backend.retryingConflicts {
            try await backend.transaction("store session events") { connection in
                let now = Timestamp.now().millisecondsSinceEpoch
                var fresh = Set<MessageKey>()
                for try await (tenant, eventID) in try await connection.query("""
                    INSERT INTO ingest_event_ids (tenant_id, event_id, first_seen_at)
                    SELECT tenant_id, event_id, \(now) FROM unnest(\(candidates.map(\.address.tenantID))::text[], \(candidates.map(\.header.eventID))::uuid[])
                        AS k(tenant_id, event_id)
                    ON CONFLICT DO NOTHING RETURNING tenant_id, event_id::text
                    """, logger: logger).decode((String, String).self) {
                    fresh.insert(MessageKey(tenantID: tenant, eventID: eventID))
                }
                let new = candidates.indices.filter { fresh.contains(MessageKey(tenantID: candidates[$0].address.tenantID, eventID: candidates[$0].header.eventID)) }
                guard !new.isEmpty else { return IngestCounts(inserted: 0, duplicates: repeats + candidates.count) }

                // Outbox rows of every new event, in receive order.
                let bodies = new.map { OutboxEvent(candidates[$0]) }
                var outboxIDs: [String: Int64] = [:]
                for try await (id, eventID) in try await connection.query("""
                    INSERT INTO sync_outbox (tenant_id, event_id, event_type, occurred_at, created_at, body)
                    SELECT tenant_id, event_id, event_type, occurred_at, \(now), body
                    FROM unnest(\(bodies.map(\.tenantID))::text[], \(bodies.map(\.eventID))::uuid[], \(bodies.map(\.eventType))::text[],
                                \(bodies.map(\.occurredAt.millisecondsSinceEpoch))::int8[], \(bodies.map(\.body))::text[]) WITH ORDINALITY
                        AS m(tenant_id, event_id, event_type, occurred_at, body, n)
                    ORDER BY n
                    RETURNING id, event_id::text
                    """, logger: logger).decode((Int64, String).self) {
                    outboxIDs[eventID] = id
                }

                // The sessions they touch: locked in key order, read, folded, written back.
                let sessionEvents = new.compactMap { parsed[$0] }
                let keys = Set(sessionEvents.map { SessionKey(tenantID: $0.address.tenantID, sessionID: $0.sessionID) }).sorted()
                for key in keys {
                    try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(key.tenantID + "/" + key.sessionID), 0))", logger: logger)
                }
                var sessions: [SessionKey: WeighSession] = [:]
                if !keys.isEmpty {
                    let rows = try await connection.query("""
                        SELECT \(unescaped: Self.columns) FROM weight_sessions
                        WHERE (tenant_id, session_id) IN (SELECT * FROM unnest(\(keys.map(\.tenantID))::text[], \(keys.map(\.sessionID))::uuid[]))
                        """, logger: logger)
                    for try await row in rows {
                        let session = try Self.decode(row).session
                        sessions[SessionKey(tenantID: session.tenantID, sessionID: session.sessionID)] = session
                    }
                }
                var readings: [SessionEvent] = []
                for event in sessionEvents {
                    let key = SessionKey(tenantID: event.address.tenantID, sessionID: event.sessionID)
                    var session = sessions[key] ?? WeighSession(opening: event)
                    session.apply(event, grace: policy.grace, timeout: policy.timeout)
                    sessions[key] = session
                    if case .reading = event.kind { readings.append(event) }
                }
                if !readings.isEmpty {
                    var seqs: [Int] = [], weights: [Double] = [], stables: [Bool] = []
                    for event in readings {
                        if case .reading(let seq, let weight, let stable) = event.kind {
                            seqs.append(seq)
                            weights.append(weight)
                            stables.append(stable)
                        }
                    }
                    try await connection.query("""
                        INSERT INTO weight_readings (tenant_id, event_id, session_id, seq, weight_kg, stable, occurred_at, received_at, outbox_id)
                        SELECT * FROM unnest(\(readings.map(\.address.tenantID))::text[], \(readings.map(\.eventID))::uuid[], \(readings.map(\.sessionID))::uuid[],
                                             \(seqs)::int4[], \(weights)::float8[], \(stables)::bool[], \(readings.map(\.occurredAt.millisecondsSinceEpoch))::int8[],
                                             \(readings.map(\.receivedAt.millisecondsSinceEpoch))::int8[], \(readings.map { outboxIDs[$0.eventID] ?? 0 })::int8[])
                        """, logger: logger)
                }
                for session in sessions.values { try await Self.save(connection, session, logger: logger) }
                return IngestCounts(inserted: new.count, duplicates: repeats + candidates.count - new.count)
            }
        }
    }

    func reopenForImage(tenantID: String, sessionID: String, at time: Timestamp, grace: Duration) async throws -> Bool {
        let logger = self.logger
        return try await backend.transaction("reopen session for an image") { connection in
            var current: WeighSession?
            for try await row in try await connection.query("""
                SELECT \(unescaped: Self.columns) FROM weight_sessions
                WHERE tenant_id = \(tenantID) AND session_id = \(sessionID)::uuid FOR UPDATE
                """, logger: logger) {
                current = try Self.decode(row).session
            }
            guard var session = current, session.imageAnalysed(at: time, grace: grace) else { return false }
            try await Self.save(connection, session, logger: logger)
            return true
        }
    }

    func dueSessions(now: Timestamp, limit: Int) async throws -> [WeighSession] {
        let rows = try await backend.query("""
            SELECT \(unescaped: Self.columns) FROM weight_sessions
            WHERE due_at IS NOT NULL AND due_at <= \(now.millisecondsSinceEpoch) ORDER BY due_at LIMIT \(limit)
            """, "due sessions")
        var sessions: [WeighSession] = []
        do {
            for try await row in rows { sessions.append(try Self.decode(row).session) }
        } catch {
            throw PostgresErrors.map(error, "due sessions")
        }
        return sessions
    }

    func finalize(_ session: WeighSession, images: SessionImages, eventID: String, at time: Timestamp) async throws -> SessionFinalization? {
        let logger = self.logger
        return try await backend.transaction("finalize session") { connection in
            var current: WeighSession?
            for try await row in try await connection.query("""
                SELECT \(unescaped: Self.columns) FROM weight_sessions
                WHERE tenant_id = \(session.tenantID) AND session_id = \(session.sessionID)::uuid FOR UPDATE
                """, logger: logger) {
                current = try Self.decode(row).session
            }
            guard let current, current == session else { return nil }
            let readings = try await Self.readings(connection, tenantID: session.tenantID, sessionID: session.sessionID, logger: logger)
            let result = SessionFinalization(session: current, readings: readings.map { ($0.weightKg, $0.stable) }, images: images)
            let event = result.outboxEvent(session: current, eventID: eventID, at: time)
            try await connection.query("""
                INSERT INTO sync_outbox (tenant_id, event_id, event_type, occurred_at, created_at, body)
                VALUES (\(event.tenantID), \(event.eventID)::uuid, \(event.eventType), \(event.occurredAt.millisecondsSinceEpoch),
                        \(time.millisecondsSinceEpoch), \(event.body))
                """, logger: logger)
            try await connection.query("""
                UPDATE weight_sessions SET revision = \(result.revision), status = \(result.status.rawValue), due_at = NULL,
                    weight_kg = \(result.scale.weightKg), bird_count = \(result.birdCount), avg_weight_kg = \(result.averageWeightKg),
                    result = \(result.payloadJSON), finalized_at = \(time.millisecondsSinceEpoch)
                WHERE tenant_id = \(session.tenantID) AND session_id = \(session.sessionID)::uuid
                """, logger: logger)
            return result
        }
    }

    func session(tenantID: String, sessionID: String) async throws -> StoredSession? {
        let logger = self.logger
        return try await backend.transaction("session") { connection in
            // One snapshot for the session and its readings: under READ COMMITTED an ingest committing between the two
            // reads gave a session row older than its readings.
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", logger: logger)
            var stored: StoredSession?
            for try await row in try await connection.query("""
                SELECT \(unescaped: Self.columns) FROM weight_sessions WHERE tenant_id = \(tenantID) AND session_id = \(sessionID)::uuid
                """, logger: logger) {
                stored = try Self.decode(row)
            }
            guard var stored else { return nil }
            stored.readings = try await Self.readings(connection, tenantID: tenantID, sessionID: sessionID, logger: logger)
            return stored
        }
    }

    func sessions(_ query: SessionQuery) async throws -> [StoredSession] {
        let filter = WeighSessionRow.pageFilter(query) { index in
            // Session ids compare as uuid; every other argument is text or bigint.
            "$\(index)"
        }
        var bindings = PostgresBindings()
        var clause = filter.clause
        for (offset, argument) in filter.arguments.enumerated() {
            switch argument {
            case .text(let text): bindings.append(text)
            case .integer(let value): bindings.append(value)
            case .session(let id):
                bindings.append(id)
                clause = clause.replacingOccurrences(of: "session_id < $\(offset + 1)", with: "session_id < $\(offset + 1)::uuid")
            }
        }
        bindings.append(query.limit)
        let sql = """
            SELECT \(Self.columns) FROM weight_sessions WHERE \(clause)
            ORDER BY first_occurred_at DESC, session_id DESC LIMIT $\(filter.arguments.count + 1)
            """
        let rows = try await backend.query(PostgresQuery(unsafeSQL: sql, binds: bindings), "sessions")
        var sessions: [StoredSession] = []
        do {
            for try await row in rows { sessions.append(try Self.decode(row)) }
        } catch {
            throw PostgresErrors.map(error, "sessions")
        }
        return sessions
    }

    func sessionCounts(now: Timestamp) async throws -> SessionCounts {
        let rows = try await backend.query("""
            SELECT status, count(*), count(*) FILTER (WHERE due_at IS NOT NULL AND due_at <= \(now.millisecondsSinceEpoch))
            FROM weight_sessions GROUP BY status
            """, "session counts")
        var counts = SessionCounts(byStatus: [:], due: 0)
        do {
            for try await (status, count, due) in rows.decode((String, Int64, Int64).self) {
                counts.byStatus[status] = Int(count)
                counts.due += Int(due)
            }
        } catch {
            throw PostgresErrors.map(error, "session counts")
        }
        return counts
    }

    // MARK: Rows

    struct SessionKey: Hashable, Comparable {
        let tenantID: String
        let sessionID: String
        static func < (a: SessionKey, b: SessionKey) -> Bool { (a.tenantID, a.sessionID) < (b.tenantID, b.sessionID) }
    }

    static func decode(_ row: PostgresRow) throws -> StoredSession {
        let cells = row.makeRandomAccess()
        func value<T: PostgresDecodable>(_ index: Int, _ type: T.Type) throws -> T { try cells[index].decode(T.self) }
        return try WeighSessionRow.Values(
            tenantID: value(0, String.self), sessionID: value(1, String.self), farmID: value(2, String.self), barnID: value(3, String.self),
            deviceID: value(4, String.self), stationID: value(5, String?.self), animal: value(6, String?.self),
            expectedCount: value(7, Int32?.self).map(Int.init), startedAt: value(8, Int64?.self), endedAt: value(9, Int64?.self),
            endReason: value(10, String?.self), firstOccurredAt: value(11, Int64.self), lastOccurredAt: value(12, Int64.self),
            lastReceivedAt: value(13, Int64.self), revision: Int(value(14, Int32.self)), status: value(15, String.self),
            lateEvents: value(16, Bool.self), dueAt: value(17, Int64?.self), weightKg: value(18, Double?.self),
            birdCount: value(19, Int32?.self).map(Int.init), averageWeightKg: value(20, Double?.self), result: value(21, String?.self),
            finalizedAt: value(22, Int64?.self)
        ).stored()
    }

    static func readings(_ connection: PostgresConnection, tenantID: String, sessionID: String, logger: Logger) async throws -> [WeighReading] {
        var readings: [WeighReading] = []
        for try await (eventID, seq, weight, stable, occurred, received) in try await connection.query("""
            SELECT event_id::text, seq, weight_kg, stable, occurred_at, received_at FROM weight_readings
            WHERE tenant_id = \(tenantID) AND session_id = \(sessionID)::uuid ORDER BY seq, occurred_at, event_id
            """, logger: logger).decode((String, Int32, Double, Bool, Int64, Int64).self) {
            readings.append(WeighReading(
                eventID: eventID, seq: Int(seq), weightKg: weight, stable: stable,
                occurredAt: Timestamp(millisecondsSinceEpoch: occurred), receivedAt: Timestamp(millisecondsSinceEpoch: received)))
        }
        return readings
    }

    static func save(_ connection: PostgresConnection, _ session: WeighSession, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO weight_sessions (tenant_id, session_id, farm_id, barn_id, device_id, station_id, animal, expected_count,
                started_at, ended_at, end_reason, first_occurred_at, last_occurred_at, last_received_at, revision, status, late_events, due_at)
            VALUES (\(session.tenantID), \(session.sessionID)::uuid, \(session.address.farmID), \(session.address.barnID), \(session.address.deviceID),
                    \(session.stationID), \(session.animal), \(session.expectedCount.map(Int32.init)), \(session.startedAt?.millisecondsSinceEpoch),
                    \(session.endedAt?.millisecondsSinceEpoch), \(session.endReason?.rawValue), \(session.firstOccurredAt.millisecondsSinceEpoch),
                    \(session.lastOccurredAt.millisecondsSinceEpoch), \(session.lastReceivedAt.millisecondsSinceEpoch), \(Int32(session.revision)),
                    \(session.status.rawValue), \(session.lateEvents), \(session.dueAt?.millisecondsSinceEpoch))
            ON CONFLICT (tenant_id, session_id) DO UPDATE SET
                station_id = excluded.station_id, animal = excluded.animal, expected_count = excluded.expected_count,
                started_at = excluded.started_at, ended_at = excluded.ended_at, end_reason = excluded.end_reason,
                first_occurred_at = excluded.first_occurred_at, last_occurred_at = excluded.last_occurred_at,
                last_received_at = excluded.last_received_at, status = excluded.status, late_events = excluded.late_events,
                due_at = excluded.due_at
            """, logger: logger)
    }
}
