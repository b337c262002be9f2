import FarmIQCore

/// ``IngressStore`` on SQLite.
struct SQLiteIngressStore: IngressStore {
    let backend: SQLiteBackend

    func storeEvents(_ events: [DeviceEvent]) async throws -> IngestCounts {
        guard !events.isEmpty else { return IngestCounts(inserted: 0, duplicates: 0) }
        return try await backend.write { connection in
            try connection.transaction {
                let (unique, repeats) = BatchDeduplication.firstOccurrences(events) {
                    MessageKey(tenantID: $0.address.tenantID, eventID: $0.header.eventID)
                }
                let now = Timestamp.now()
                let register = try SQLiteEventIDRegister(connection: connection, seenAt: now)
                let insert = try connection.statement("""
                    INSERT INTO device_events (tenant_id, event_id, farm_id, barn_id, device_id, event_type, occurred_at, received_at, trace_id, payload, outbox_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                let outbox = try SQLiteOutboxWriter(connection: connection, createdAt: now)
                var inserted = 0
                for index in unique {
                    let event = events[index]
                    let address = event.address
                    let header = event.header
                    guard try register.insertIfNew(tenantID: address.tenantID, eventID: header.eventID) else { continue }
                    try outbox.insert(OutboxEvent(event))
                    insert.reset()
                    insert.bind(1, address.tenantID)
                    insert.bind(2, header.eventID)
                    insert.bind(3, address.farmID)
                    insert.bind(4, address.barnID)
                    insert.bind(5, address.deviceID)
                    insert.bind(6, header.eventType)
                    insert.bind(7, header.occurredAt.millisecondsSinceEpoch)
                    insert.bind(8, event.receivedAt.millisecondsSinceEpoch)
                    insert.bind(9, header.traceID)
                    insert.bind(10, JSONWriter.write(event.payload))
                    insert.bind(11, connection.lastInsertRowID)
                    try insert.run()
                    inserted += 1
                }
                return IngestCounts(inserted: inserted, duplicates: repeats + unique.count - inserted)
            }
        }
    }

    @discardableResult
    func recordRejects(_ rejects: [IngestReject]) async throws -> [Bool] {
        guard !rejects.isEmpty else { return [] }
        return try await backend.write { connection in
            try connection.transaction {
                let insert = try connection.statement("""
                    INSERT OR IGNORE INTO ingest_rejects (received_at, topic, tenant_id, reason, detail, payload_size, payload_prefix, fingerprint)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                var recorded: [Bool] = []
                recorded.reserveCapacity(rejects.count)
                for reject in rejects {
                    insert.reset()
                    insert.bind(1, reject.receivedAt.millisecondsSinceEpoch)
                    insert.bind(2, reject.topic)
                    insert.bind(3, reject.tenantID)
                    insert.bind(4, reject.reason.rawValue)
                    insert.bind(5, reject.detail)
                    insert.bind(6, reject.payloadSize)
                    insert.bind(7, blob: reject.payloadPrefix)
                    if let fingerprint = reject.fingerprint { insert.bind(8, blob: fingerprint) } else { insert.bindNull(8) }
                    try insert.run()
                    recorded.append(connection.changes > 0)
                }
                return recorded
            }
        }
    }

    func pruneEventIDs(seenBefore cutoff: Timestamp, limit: Int) async throws -> Int {
        guard limit > 0 else { return 0 }
        return try await backend.write { connection in
            try connection.transaction {
                let statement = try connection.statement("""
                    DELETE FROM ingest_event_ids WHERE (tenant_id, event_id) IN (
                        SELECT tenant_id, event_id FROM ingest_event_ids WHERE first_seen_at < ?1 ORDER BY first_seen_at LIMIT ?2)
                    """)
                statement.bind(1, cutoff.millisecondsSinceEpoch)
                statement.bind(2, limit)
                try statement.run()
                return connection.changes
            }
        }
    }

    func eventIDCount() async throws -> Int {
        try await backend.read { connection in
            let statement = try connection.statement("SELECT count(*) FROM ingest_event_ids")
            defer { statement.reset() }
            return try statement.step() ? statement.int(0) : 0
        }
    }

    func rejects(tenantID: String?, limit: Int) async throws -> [StoredReject] {
        let sql = """
            SELECT id, received_at, topic, tenant_id, reason, detail, payload_size, payload_prefix FROM ingest_rejects
            \(tenantID == nil ? "" : "WHERE tenant_id = ?2") ORDER BY id DESC LIMIT ?1
            """
        let limit = max(0, min(limit, 10_000))
        return try await backend.read { connection in
            let statement = try connection.statement(sql)
            defer { statement.reset() }
            statement.bind(1, limit)
            if let tenantID { statement.bind(2, tenantID) }
            var rows: [StoredReject] = []
            while try statement.step() {
                rows.append(StoredReject(
                    id: statement.int64(0), receivedAt: Timestamp(millisecondsSinceEpoch: statement.int64(1)),
                    topic: statement.string(2), tenantID: statement.optionalString(3), reason: statement.string(4),
                    detail: statement.string(5), payloadSize: statement.int(6), payloadPrefix: statement.blob(7)))
            }
            return rows
        }
    }

    func rejectCounts() async throws -> [String: Int] {
        try await backend.read { connection in
            let statement = try connection.statement("SELECT reason, count(*) FROM ingest_rejects GROUP BY reason")
            defer { statement.reset() }
            var counts: [String: Int] = [:]
            while try statement.step() { counts[statement.string(0)] = statement.int(1) }
            return counts
        }
    }
}
