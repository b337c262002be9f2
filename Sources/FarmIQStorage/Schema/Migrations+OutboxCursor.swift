extension Migrations {
    /// The snapshot-bounded outbox reader: a durable cursor and lease per consumer stream (`sync_cursor`),
    /// parked events (`sync_dead_letters`), the `(txid, id)` read order. Delivery no longer updates outbox rows,
    /// so the status indexes of migration 1 go (they would index every row).
    static let outboxCursor = Migration(
        version: 2,
        name: "outbox_cursor",
        sqlite: [
            "DROP INDEX IF EXISTS sync_outbox_pending",
            "DROP INDEX IF EXISTS sync_outbox_dead",
            """
            CREATE TABLE sync_cursor (
                stream TEXT PRIMARY KEY, txid INTEGER NOT NULL DEFAULT 0, last_id INTEGER NOT NULL DEFAULT 0,
                owner TEXT, lease_until INTEGER NOT NULL DEFAULT 0, advanced_at INTEGER NOT NULL DEFAULT 0)
            """,
            "INSERT INTO sync_cursor (stream) VALUES ('cloud')",
            """
            CREATE TABLE sync_dead_letters (
                id INTEGER PRIMARY KEY AUTOINCREMENT, outbox_id INTEGER NOT NULL, tenant_id TEXT NOT NULL,
                event_id TEXT NOT NULL, event_type TEXT NOT NULL, occurred_at INTEGER NOT NULL, created_at INTEGER NOT NULL,
                body TEXT NOT NULL, reason TEXT NOT NULL, parked_at INTEGER NOT NULL)
            """,
            "CREATE INDEX sync_dead_letters_outbox ON sync_dead_letters (outbox_id)",
        ],
        postgres: [
            "DROP INDEX IF EXISTS sync_outbox_pending",
            "DROP INDEX IF EXISTS sync_outbox_dead",
            "CREATE INDEX sync_outbox_order ON sync_outbox (txid, id)",
            """
            CREATE TABLE sync_cursor (
                stream text PRIMARY KEY, txid xid8 NOT NULL DEFAULT '0', last_id bigint NOT NULL DEFAULT 0,
                owner text, lease_until bigint NOT NULL DEFAULT 0, advanced_at bigint NOT NULL DEFAULT 0)
            """,
            "INSERT INTO sync_cursor (stream) VALUES ('cloud')",
            """
            CREATE TABLE sync_dead_letters (
                id bigserial PRIMARY KEY, outbox_id bigint NOT NULL, tenant_id text NOT NULL,
                event_id uuid NOT NULL, event_type text NOT NULL, occurred_at bigint NOT NULL, created_at bigint NOT NULL,
                body text NOT NULL, reason text NOT NULL, parked_at bigint NOT NULL)
            """,
            "CREATE INDEX sync_dead_letters_outbox ON sync_dead_letters (outbox_id)",
        ]
    )
}
