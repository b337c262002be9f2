import FarmIQCore
import FarmIQSQLite

/// `ingest_event_ids` on SQLite, inside the caller's transaction: the one duplicate check every ingest
/// writer shares, so a `(tenant_id, event_id)` is accepted once whatever its topic and however long ago
/// its raw row was deleted (migration 4).
struct SQLiteEventIDRegister {
    private let statement: SQLiteStatement
    private let connection: SQLiteConnection
    private let seenAt: Int64

    init(connection: SQLiteConnection, seenAt: Timestamp) throws {
        statement = try connection.statement(
            "INSERT OR IGNORE INTO ingest_event_ids (tenant_id, event_id, first_seen_at) VALUES (?, ?, ?)")
        self.connection = connection
        self.seenAt = seenAt.millisecondsSinceEpoch
    }

    /// Records the id; `false` when it was already there (a duplicate).
    func insertIfNew(tenantID: String, eventID: String) throws -> Bool {
        statement.resetKeepingBindings()  // all three bound below
        statement.bind(1, tenantID)
        statement.bind(2, eventID)
        statement.bind(3, seenAt)
        try statement.run()
        return connection.changes > 0
    }
}
