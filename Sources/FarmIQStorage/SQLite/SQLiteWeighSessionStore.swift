import FarmIQCore
import FarmIQSQLite

/// ``WeighSessionStore`` on SQLite: one writer, so a session read, changed and written back inside the write
/// transaction cannot race another writer.
struct SQLiteWeighSessionStore: WeighSessionStore {
    let backend: SQLiteBackend

    func ingest(_ events: [DeviceEvent], policy: SessionPolicy) async throws -> IngestCounts {
        guard !events.isEmpty else { return IngestCounts(inserted: 0, duplicates: 0) }
        return try await backend.write { connection in
            try connection.transaction {
                let (unique, repeats) = BatchDeduplication.firstOccurrences(events) {
                    MessageKey(tenantID: $0.address.tenantID, eventID: $0.header.eventID)
                }
                let parsed = WeighSessionRow.parse(events)
                let now = Timestamp.now()
                let register = try SQLiteEventIDRegister(connection: connection, seenAt: now)
                let outbox = try SQLiteOutboxWriter(connection: connection, createdAt: now)
                let reading = try connection.statement("""
                    INSERT INTO weight_readings (tenant_id, event_id, session_id, seq, weight_kg, stable, occurred_at, received_at, outbox_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                defer { reading.reset() }
                var sessions: [String: WeighSession] = [:]
                var inserted = 0
                for index in unique {
                    let event = events[index]
                    guard try register.insertIfNew(tenantID: event.address.tenantID, eventID: event.header.eventID) else { continue }
                    inserted += 1
                    try outbox.insert(OutboxEvent(event))
                    let outboxID = connection.lastInsertRowID
                    guard let sessionEvent = parsed[index] else { continue }
                    let key = sessionEvent.address.tenantID + "/" + sessionEvent.sessionID
                    var session: WeighSession
                    if let known = sessions[key] {
                        session = known
                    } else if let stored = try Self.load(connection, tenantID: sessionEvent.address.tenantID, sessionID: sessionEvent.sessionID) {
                        session = stored.session
                    } else {
                        session = WeighSession(opening: sessionEvent)
                    }
                    session.apply(sessionEvent, grace: policy.grace, timeout: policy.timeout)
                    sessions[key] = session
                    if case .reading(let seq, let weight, let stable) = sessionEvent.kind {
                        reading.reset()
                        reading.bind(1, sessionEvent.address.tenantID)
                        reading.bind(2, sessionEvent.eventID)
                        reading.bind(3, sessionEvent.sessionID)
                        reading.bind(4, seq)
                        reading.bind(5, weight)
                        reading.bind(6, stable ? 1 : 0)
                        reading.bind(7, sessionEvent.occurredAt.millisecondsSinceEpoch)
                        reading.bind(8, sessionEvent.receivedAt.millisecondsSinceEpoch)
                        reading.bind(9, outboxID)
                        try reading.run()
                    }
                }
                for session in sessions.values { try Self.save(connection, session) }
                return IngestCounts(inserted: inserted, duplicates: repeats + unique.count - inserted)
            }
        }
    }

    func reopenForImage(tenantID: String, sessionID: String, at time: Timestamp, grace: Duration) async throws -> Bool {
        try await backend.write { connection in
            try connection.transaction {
                guard var session = try Self.load(connection, tenantID: tenantID, sessionID: sessionID)?.session,
                    session.imageAnalysed(at: time, grace: grace)
                else { return false }
                try Self.save(connection, session)
                return true
            }
        }
    }

    func dueSessions(now: Timestamp, limit: Int) async throws -> [WeighSession] {
        try await backend.read { connection in
            let statement = try connection.statement(
                "SELECT \(WeighSessionRow.columns) FROM weight_sessions WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at LIMIT ?")
            defer { statement.reset() }
            statement.bind(1, now.millisecondsSinceEpoch)
            statement.bind(2, limit)
            var sessions: [WeighSession] = []
            while try statement.step() { sessions.append(try Self.decode(statement).session) }
            return sessions
        }
    }

    func finalize(_ session: WeighSession, images: SessionImages, eventID: String, at time: Timestamp) async throws -> SessionFinalization? {
        try await backend.write { connection in
            try connection.transaction {
                guard let current = try Self.load(connection, tenantID: session.tenantID, sessionID: session.sessionID)?.session,
                    current == session
                else { return nil }
                let readings = try Self.readings(connection, tenantID: session.tenantID, sessionID: session.sessionID)
                let result = SessionFinalization(session: current, readings: readings.map { ($0.weightKg, $0.stable) }, images: images)
                let outbox = try SQLiteOutboxWriter(connection: connection, createdAt: time)
                try outbox.insert(result.outboxEvent(session: current, eventID: eventID, at: time))
                let update = try connection.statement("""
                    UPDATE weight_sessions SET revision = ?, status = ?, due_at = NULL, weight_kg = ?, bird_count = ?, avg_weight_kg = ?,
                        result = ?, finalized_at = ?
                    WHERE tenant_id = ? AND session_id = ?
                    """)
                defer { update.reset() }
                update.bind(1, result.revision)
                update.bind(2, result.status.rawValue)
                if let weight = result.scale.weightKg { update.bind(3, weight) } else { update.bindNull(3) }
                if let count = result.birdCount { update.bind(4, count) } else { update.bindNull(4) }
                if let average = result.averageWeightKg { update.bind(5, average) } else { update.bindNull(5) }
                update.bind(6, result.payloadJSON)
                update.bind(7, time.millisecondsSinceEpoch)
                update.bind(8, session.tenantID)
                update.bind(9, session.sessionID)
                try update.run()
                return result
            }
        }
    }

    func session(tenantID: String, sessionID: String) async throws -> StoredSession? {
        try await backend.read { connection in
            // One read transaction, so the session row and its readings come from the same snapshot.
            try connection.transaction(immediate: false) {
                guard var stored = try Self.load(connection, tenantID: tenantID, sessionID: sessionID) else { return nil }
                stored.readings = try Self.readings(connection, tenantID: tenantID, sessionID: sessionID)
                return stored
            }
        }
    }

    func sessions(_ query: SessionQuery) async throws -> [StoredSession] {
        try await backend.read { connection in
            // Numbered placeholders: the cursor's time appears twice in the clause.
            let filter = WeighSessionRow.pageFilter(query) { "?\($0)" }
            let statement = try connection.statement("""
                SELECT \(WeighSessionRow.columns) FROM weight_sessions WHERE \(filter.clause)
                ORDER BY first_occurred_at DESC, session_id DESC LIMIT ?\(filter.arguments.count + 1)
                """)
            defer { statement.reset() }
            for (offset, argument) in filter.arguments.enumerated() {
                switch argument {
                case .text(let text), .session(let text): statement.bind(Int32(offset + 1), text)
                case .integer(let value): statement.bind(Int32(offset + 1), value)
                }
            }
            statement.bind(Int32(filter.arguments.count + 1), query.limit)
            var sessions: [StoredSession] = []
            while try statement.step() { sessions.append(try Self.decode(statement)) }
            return sessions
        }
    }

    func sessionCounts(now: Timestamp) async throws -> SessionCounts {
        try await backend.read { connection in
            let statement = try connection.statement("SELECT status, count(*) FROM weight_sessions GROUP BY status")
            defer { statement.reset() }
            var counts: [String: Int] = [:]
            while try statement.step() { counts[statement.string(0)] = statement.int(1) }
            let due = try connection.statement("SELECT count(*) FROM weight_sessions WHERE due_at IS NOT NULL AND due_at <= ?")
            defer { due.reset() }
            due.bind(1, now.millisecondsSinceEpoch)
            _ = try due.step()
            return SessionCounts(byStatus: counts, due: due.int(0))
        }
    }

    // MARK: Rows

    static func load(_ connection: SQLiteConnection, tenantID: String, sessionID: String) throws -> StoredSession? {
        let statement = try connection.statement("SELECT \(WeighSessionRow.columns) FROM weight_sessions WHERE tenant_id = ? AND session_id = ?")
        defer { statement.reset() }
        statement.bind(1, tenantID)
        statement.bind(2, sessionID)
        guard try statement.step() else { return nil }
        return try decode(statement)
    }

    static func decode(_ s: SQLiteStatement) throws -> StoredSession {
        func int64(_ column: Int32) -> Int64? { s.isNull(column) ? nil : s.int64(column) }
        func double(_ column: Int32) -> Double? { s.isNull(column) ? nil : s.double(column) }
        return try WeighSessionRow.Values(
            tenantID: s.string(0), sessionID: s.string(1), farmID: s.string(2), barnID: s.string(3), deviceID: s.string(4),
            stationID: s.optionalString(5), animal: s.optionalString(6), expectedCount: int64(7).map(Int.init),
            startedAt: int64(8), endedAt: int64(9), endReason: s.optionalString(10),
            firstOccurredAt: s.int64(11), lastOccurredAt: s.int64(12), lastReceivedAt: s.int64(13),
            revision: s.int(14), status: s.string(15), lateEvents: s.int(16) != 0, dueAt: int64(17),
            weightKg: double(18), birdCount: int64(19).map(Int.init), averageWeightKg: double(20), result: s.optionalString(21),
            finalizedAt: int64(22)
        ).stored()
    }

    static func readings(_ connection: SQLiteConnection, tenantID: String, sessionID: String) throws -> [WeighReading] {
        let statement = try connection.statement("""
            SELECT event_id, seq, weight_kg, stable, occurred_at, received_at FROM weight_readings
            WHERE tenant_id = ? AND session_id = ? ORDER BY seq, occurred_at, event_id
            """)
        defer { statement.reset() }
        statement.bind(1, tenantID)
        statement.bind(2, sessionID)
        var readings: [WeighReading] = []
        while try statement.step() {
            readings.append(WeighReading(
                eventID: statement.string(0), seq: statement.int(1), weightKg: statement.double(2), stable: statement.int(3) != 0,
                occurredAt: Timestamp(millisecondsSinceEpoch: statement.int64(4)), receivedAt: Timestamp(millisecondsSinceEpoch: statement.int64(5))))
        }
        return readings
    }

    /// Writes the lifecycle columns of `session` (inserting the row for a new session); the result columns stay.
    static func save(_ connection: SQLiteConnection, _ session: WeighSession) throws {
        let statement = try connection.statement("""
            INSERT INTO weight_sessions (tenant_id, session_id, farm_id, barn_id, device_id, station_id, animal, expected_count,
                started_at, ended_at, end_reason, first_occurred_at, last_occurred_at, last_received_at, revision, status, late_events, due_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (tenant_id, session_id) DO UPDATE SET
                station_id = excluded.station_id, animal = excluded.animal, expected_count = excluded.expected_count,
                started_at = excluded.started_at, ended_at = excluded.ended_at, end_reason = excluded.end_reason,
                first_occurred_at = excluded.first_occurred_at, last_occurred_at = excluded.last_occurred_at,
                last_received_at = excluded.last_received_at, status = excluded.status, late_events = excluded.late_events,
                due_at = excluded.due_at
            """)
        defer { statement.reset() }
        statement.bind(1, session.tenantID)
        statement.bind(2, session.sessionID)
        statement.bind(3, session.address.farmID)
        statement.bind(4, session.address.barnID)
        statement.bind(5, session.address.deviceID)
        statement.bind(6, session.stationID)
        statement.bind(7, session.animal)
        if let expected = session.expectedCount { statement.bind(8, expected) } else { statement.bindNull(8) }
        if let started = session.startedAt { statement.bind(9, started.millisecondsSinceEpoch) } else { statement.bindNull(9) }
        if let ended = session.endedAt { statement.bind(10, ended.millisecondsSinceEpoch) } else { statement.bindNull(10) }
        statement.bind(11, session.endReason?.rawValue)
        statement.bind(12, session.firstOccurredAt.millisecondsSinceEpoch)
        statement.bind(13, session.lastOccurredAt.millisecondsSinceEpoch)
        statement.bind(14, session.lastReceivedAt.millisecondsSinceEpoch)
        statement.bind(15, session.revision)
        statement.bind(16, session.status.rawValue)
        statement.bind(17, session.lateEvents ? 1 : 0)
        if let due = session.dueAt { statement.bind(18, due.millisecondsSinceEpoch) } else { statement.bindNull(18) }
        try statement.run()
    }
}
