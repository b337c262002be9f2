import FarmIQCore
import PostgresNIO

/// ``OutboxStore`` on PostgreSQL.
struct PostgresOutboxStore: OutboxStore {
    let backend: PostgresBackend

    func stats(now: Timestamp) async throws -> OutboxStats {
        let rows = try await backend.query("""
            SELECT (SELECT count(*) FROM sync_outbox WHERE status = 0),
                   (SELECT created_at FROM sync_outbox WHERE status = 0 ORDER BY id LIMIT 1),
                   (SELECT count(*) FROM sync_outbox WHERE status = 2)
            """, "outbox stats")
        do {
            for try await (pending, oldest, dead) in rows.decode((Int64, Int64?, Int64).self) {
                return OutboxStats(
                    pending: Int(pending), oldestPendingAgeSeconds: OutboxStats.age(oldestCreatedAt: oldest, now: now),
                    deadLetter: Int(dead))
            }
        } catch {
            throw PostgresErrors.map(error, "outbox stats")
        }
        return OutboxStats(pending: 0, oldestPendingAgeSeconds: 0, deadLetter: 0)
    }
}
