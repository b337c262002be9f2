import FarmIQCore

/// ``OutboxStore`` on SQLite.
struct SQLiteOutboxStore: OutboxStore {
    let backend: SQLiteBackend

    func stats(now: Timestamp) async throws -> OutboxStats {
        try await backend.read { connection in
            // The partial indexes on status 0 and 2 keep these cheap however many rows were delivered.
            let statement = try connection.statement("""
                SELECT (SELECT count(*) FROM sync_outbox WHERE status = 0),
                       (SELECT created_at FROM sync_outbox WHERE status = 0 ORDER BY id LIMIT 1),
                       (SELECT count(*) FROM sync_outbox WHERE status = 2)
                """)
            defer { statement.reset() }
            guard try statement.step() else { return OutboxStats(pending: 0, oldestPendingAgeSeconds: 0, deadLetter: 0) }
            let oldest = statement.isNull(1) ? nil : statement.int64(1)
            return OutboxStats(
                pending: statement.int(0),
                oldestPendingAgeSeconds: OutboxStats.age(oldestCreatedAt: oldest, now: now),
                deadLetter: statement.int(2))
        }
    }
}

extension OutboxStats {
    static func age(oldestCreatedAt: Int64?, now: Timestamp) -> Double {
        guard let oldestCreatedAt else { return 0 }
        return max(0, Double(now.millisecondsSinceEpoch - oldestCreatedAt) / 1000)
    }
}
