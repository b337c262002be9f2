import FarmIQCore
import FarmIQSQLite

/// ``OutboxStore`` on SQLite. All writes of the box go through one writer, so commit order is id order: the
/// reader reads after the cursor's id and `txid` is always 0. Reads run on the reader connections (WAL).
struct SQLiteOutboxStore: OutboxStore {
    let backend: SQLiteBackend

    /// Pending rows are counted from ids, in O(log n): the last id minus the first pending id, plus one. Rows after
    /// the cursor are never deleted (the purge removes only delivered rows, a parked event stays where it was) and
    /// one writer's `AUTOINCREMENT` ids leave no gap (a rolled-back insert rolls back `sqlite_sequence` too), so
    /// this is the count. `count(*)` walked every pending row on each `/metrics` scrape: after days offline, tens of
    /// millions of rows, seconds of CPU per scrape while ingest needs it.
    func stats(now: Timestamp) async throws -> OutboxStats {
        try await backend.read { connection in
            let statement = try connection.statement("""
                SELECT (SELECT max(id) FROM sync_outbox),
                       (SELECT id FROM sync_outbox WHERE id > c.last_id ORDER BY id LIMIT 1),
                       (SELECT created_at FROM sync_outbox WHERE id > c.last_id ORDER BY id LIMIT 1),
                       (SELECT count(*) FROM sync_dead_letters)
                FROM sync_cursor c WHERE c.stream = 'cloud'
                """)
            defer { statement.reset() }
            guard try statement.step() else { return OutboxStats(pending: 0, oldestPendingAgeSeconds: 0, deadLetter: 0) }
            let pending = statement.isNull(1) ? 0 : statement.int(0) - statement.int(1) + 1
            let oldest = statement.isNull(2) ? nil : statement.int64(2)
            return OutboxStats(
                pending: pending,
                oldestPendingAgeSeconds: OutboxStats.age(oldestCreatedAt: oldest, now: now),
                deadLetter: statement.int(3))
        }
    }

    func queuedTotal() async throws -> Int {
        try await backend.read { connection in
            let statement = try connection.statement("SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'sync_outbox'")
            defer { statement.reset() }
            return try statement.step() ? statement.int(0) : 0
        }
    }

    func read(after position: OutboxCursor, limit: Int) async throws -> [OutboxRow] {
        try await backend.read { connection in
            let statement = try connection.statement("""
                SELECT id, tenant_id, event_id, event_type, created_at, body FROM sync_outbox WHERE id > ?1 ORDER BY id LIMIT ?2
                """)
            defer { statement.reset() }
            statement.bind(1, position.id)
            statement.bind(2, limit)
            var rows: [OutboxRow] = []
            rows.reserveCapacity(limit)
            while try statement.step() {
                rows.append(OutboxRow(
                    position: OutboxCursor(txid: 0, id: statement.int64(0)), tenantID: statement.string(1),
                    eventID: statement.string(2), eventType: statement.string(3),
                    createdAt: Timestamp(millisecondsSinceEpoch: statement.int64(4)), body: statement.string(5)))
            }
            return rows
        }
    }

    func cursor(stream: String) async throws -> OutboxCursor {
        try await backend.read { connection in
            let statement = try connection.statement("SELECT last_id FROM sync_cursor WHERE stream = ?1")
            defer { statement.reset() }
            statement.bind(1, stream)
            return try statement.step() ? OutboxCursor(txid: 0, id: statement.int64(0)) : .start
        }
    }

    func acquireLease(stream: String, owner: String, durationMilliseconds: Int64) async throws -> OutboxLease? {
        let now = Timestamp.now().millisecondsSinceEpoch
        return try await backend.write { connection in
            try connection.transaction {
                let insert = try connection.statement("INSERT INTO sync_cursor (stream) VALUES (?1) ON CONFLICT (stream) DO NOTHING")
                insert.bind(1, stream)
                try insert.run()
                let statement = try connection.statement("""
                    UPDATE sync_cursor SET owner = ?1, lease_until = ?2 + ?3
                    WHERE stream = ?4 AND (owner IS NULL OR owner = ?1 OR lease_until < ?2)
                    RETURNING last_id, lease_until
                    """)
                defer { statement.reset() }
                statement.bind(1, owner)
                statement.bind(2, now)
                statement.bind(3, durationMilliseconds)
                statement.bind(4, stream)
                guard try statement.step() else { return nil }
                let lease = OutboxLease(owner: owner, cursor: OutboxCursor(txid: 0, id: statement.int64(0)), leaseUntil: statement.int64(1))
                while try statement.step() {}
                return lease
            }
        }
    }

    func releaseLease(stream: String, owner: String) async throws {
        try await backend.write { connection in
            let statement = try connection.statement("UPDATE sync_cursor SET owner = NULL, lease_until = 0 WHERE stream = ?1 AND owner = ?2")
            statement.bind(1, stream)
            statement.bind(2, owner)
            try statement.run()
        }
    }

    func commit(_ delivery: OutboxDelivery) async throws -> Bool {
        try await backend.write { connection in
            try connection.transaction {
                try SQLiteOutboxStore.commit(delivery, on: connection)
            }
        }
    }

    static func commit(_ delivery: OutboxDelivery, on connection: SQLiteConnection) throws -> Bool {
        let now = delivery.deliveredAt.millisecondsSinceEpoch
        let move = try connection.statement("""
            UPDATE sync_cursor SET last_id = ?1, advanced_at = ?2 WHERE stream = ?3 AND owner = ?4 AND last_id <= ?1
            """)
        move.bind(1, delivery.through.id)
        move.bind(2, now)
        move.bind(3, delivery.stream)
        move.bind(4, delivery.owner)
        try move.run()
        guard connection.changes == 1 else { return false }
        if !delivery.rejections.isEmpty {
            let park = try connection.statement("""
                INSERT INTO sync_dead_letters (outbox_id, tenant_id, event_id, event_type, occurred_at, created_at, body, reason, parked_at)
                SELECT id, tenant_id, event_id, event_type, occurred_at, created_at, body, ?2, ?3 FROM sync_outbox WHERE id = ?1
                """)
            for rejection in delivery.rejections {
                park.reset()
                park.bind(1, rejection.row.position.id)
                park.bind(2, rejection.reason)
                park.bind(3, now)
                try park.run()
            }
        }
        let state = try connection.statement("""
            INSERT INTO sync_state (tenant_id, last_success_at, state, detail, updated_at) VALUES (?1, ?2, ?3, ?4, ?2)
            ON CONFLICT (tenant_id) DO UPDATE SET last_success_at = max(coalesce(sync_state.last_success_at, 0), excluded.last_success_at),
                state = excluded.state, detail = excluded.detail, updated_at = excluded.updated_at
            """)
        for tenant in delivery.tenants.sorted() + [SyncStateRow.forwarder] {
            state.reset()
            state.bind(1, tenant)
            state.bind(2, now)
            state.bind(3, delivery.state)
            state.bind(4, delivery.detail)
            try state.run()
        }
        return true
    }

    func setForwarderState(_ state: String, detail: String?) async throws {
        let now = Timestamp.now().millisecondsSinceEpoch
        try await backend.write { connection in
            let statement = try connection.statement("""
                INSERT INTO sync_state (tenant_id, last_success_at, state, detail, updated_at) VALUES (?1, NULL, ?2, ?3, ?4)
                ON CONFLICT (tenant_id) DO UPDATE SET state = excluded.state, detail = excluded.detail, updated_at = excluded.updated_at
                """)
            statement.bind(1, SyncStateRow.forwarder)
            statement.bind(2, state)
            statement.bind(3, detail)
            statement.bind(4, now)
            try statement.run()
        }
    }

    func syncState() async throws -> [SyncStateRow] {
        try await backend.read { connection in
            let statement = try connection.statement("""
                SELECT tenant_id, last_success_at, state, detail, updated_at FROM sync_state ORDER BY tenant_id <> '*', tenant_id
                """)
            defer { statement.reset() }
            var rows: [SyncStateRow] = []
            while try statement.step() {
                rows.append(SyncStateRow(
                    tenantID: statement.string(0),
                    lastSuccessAt: statement.isNull(1) ? nil : Timestamp(millisecondsSinceEpoch: statement.int64(1)),
                    state: statement.string(2), detail: statement.optionalString(3),
                    updatedAt: Timestamp(millisecondsSinceEpoch: statement.int64(4))))
            }
            return rows
        }
    }

    func deadLetters(limit: Int) async throws -> [DeadLetter] {
        try await backend.read { connection in
            let statement = try connection.statement("""
                SELECT id, tenant_id, event_id, event_type, reason, parked_at, body FROM sync_dead_letters ORDER BY id LIMIT ?1
                """)
            defer { statement.reset() }
            statement.bind(1, limit)
            var rows: [DeadLetter] = []
            while try statement.step() {
                rows.append(DeadLetter(
                    id: statement.int64(0), tenantID: statement.string(1), eventID: statement.string(2), eventType: statement.string(3),
                    reason: statement.string(4), parkedAt: Timestamp(millisecondsSinceEpoch: statement.int64(5)), body: statement.string(6)))
            }
            return rows
        }
    }

    /// The selected dead-letter ids, inside the write transaction.
    private static func selectedIDs(_ selection: DeadLetterSelection, on connection: SQLiteConnection) throws -> [Int64] {
        let statement: SQLiteStatement
        switch selection {
        case .all:
            statement = try connection.statement("SELECT id FROM sync_dead_letters ORDER BY id")
        case .ids(let ids):
            return ids
        case .eventType(let type):
            statement = try connection.statement("SELECT id FROM sync_dead_letters WHERE event_type = ?1 ORDER BY id")
            statement.bind(1, type)
        }
        defer { statement.reset() }
        var ids: [Int64] = []
        while try statement.step() { ids.append(statement.int64(0)) }
        return ids
    }

    func retryDeadLetters(_ selection: DeadLetterSelection) async throws -> Int {
        let now = Timestamp.now().millisecondsSinceEpoch
        return try await backend.write { connection in
            try connection.transaction {
                let ids = try SQLiteOutboxStore.selectedIDs(selection, on: connection)
                let requeue = try connection.statement("""
                    INSERT INTO sync_outbox (tenant_id, event_id, event_type, occurred_at, created_at, body)
                    SELECT tenant_id, event_id, event_type, occurred_at, ?2, body FROM sync_dead_letters WHERE id = ?1
                    RETURNING id, tenant_id, event_id, occurred_at, json_extract(body, '$.device_id')
                    """)
                // `telemetry_raw` has no key of its own (the event-id register is the key): its row is found
                // through the series index, with the device and time the body carries.
                let relinkRaw = try connection.statement("""
                    UPDATE telemetry_raw SET outbox_id = ?1
                    WHERE tenant_id = ?2 AND device_id = ?4 AND occurred_at = ?5 AND event_id = ?3
                    """)
                let relinkEvent = try connection.statement(
                    "UPDATE device_events SET outbox_id = ?1 WHERE tenant_id = ?2 AND event_id = ?3")
                let delete = try connection.statement("DELETE FROM sync_dead_letters WHERE id = ?1")
                var count = 0
                for id in ids {
                    requeue.reset()
                    requeue.bind(1, id)
                    requeue.bind(2, now)
                    guard try requeue.step() else { continue }
                    let outboxID = requeue.int64(0), tenant = requeue.string(1), eventID = requeue.string(2)
                    let occurredAt = requeue.int64(3), deviceID = requeue.optionalString(4)
                    while try requeue.step() {}
                    relinkEvent.reset()
                    relinkEvent.bind(1, outboxID)
                    relinkEvent.bind(2, tenant)
                    relinkEvent.bind(3, eventID)
                    try relinkEvent.run()
                    if let deviceID {
                        relinkRaw.reset()
                        relinkRaw.bind(1, outboxID)
                        relinkRaw.bind(2, tenant)
                        relinkRaw.bind(3, eventID)
                        relinkRaw.bind(4, deviceID)
                        relinkRaw.bind(5, occurredAt)
                        try relinkRaw.run()
                    }
                    delete.reset()
                    delete.bind(1, id)
                    try delete.run()
                    count += 1
                }
                requeue.reset()
                return count
            }
        }
    }

    func discardDeadLetters(_ selection: DeadLetterSelection) async throws -> Int {
        try await backend.write { connection in
            try connection.transaction {
                let ids = try SQLiteOutboxStore.selectedIDs(selection, on: connection)
                let delete = try connection.statement("DELETE FROM sync_dead_letters WHERE id = ?1")
                var count = 0
                for id in ids {
                    delete.reset()
                    delete.bind(1, id)
                    try delete.run()
                    count += connection.changes
                }
                return count
            }
        }
    }

    func purgeDelivered(stream: String, olderThan cutoff: Timestamp, chunkSize: Int) async throws -> Int {
        guard chunkSize > 0 else { return 0 }  // (SQLite reads LIMIT 0 and below as "none" or "no limit": the loop never ended)
        var total = 0
        while true {
            let count = try await backend.write { connection in
                try connection.transaction {
                    let statement = try connection.statement("""
                        DELETE FROM sync_outbox WHERE id IN (
                            SELECT id FROM sync_outbox
                            WHERE id <= (SELECT last_id FROM sync_cursor WHERE stream = ?1) AND created_at < ?2
                            ORDER BY id LIMIT ?3)
                        """)
                    statement.bind(1, stream)
                    statement.bind(2, cutoff.millisecondsSinceEpoch)
                    statement.bind(3, chunkSize)
                    try statement.run()
                    return connection.changes
                }
            }
            total += count
            if count < chunkSize { return total }
        }
    }
}
