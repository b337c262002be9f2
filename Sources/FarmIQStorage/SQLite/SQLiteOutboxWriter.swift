import FarmIQCore
import FarmIQSQLite

/// Writes the `sync_outbox` row of a newly accepted message, inside the caller's transaction: the
/// one statement the telemetry and ingress stores share on SQLite.
struct SQLiteOutboxWriter {
    private let statement: SQLiteStatement
    private let createdAt: Int64

    init(connection: SQLiteConnection, createdAt: Timestamp) throws {
        statement = try connection.statement("""
            INSERT INTO sync_outbox (tenant_id, event_id, event_type, occurred_at, created_at, body) VALUES (?, ?, ?, ?, ?, ?)
            """)
        self.createdAt = createdAt.millisecondsSinceEpoch
    }

    /// Inserts the event; the new row's id is `connection.lastInsertRowID`.
    func insert(_ event: OutboxEvent) throws {
        statement.resetKeepingBindings()  // all six bound below
        statement.bind(1, event.tenantID)
        statement.bind(2, event.eventID)
        statement.bind(3, event.eventType)
        statement.bind(4, event.occurredAt.millisecondsSinceEpoch)
        statement.bind(5, createdAt)
        statement.bind(6, event.body)
        try statement.run()
    }
}
