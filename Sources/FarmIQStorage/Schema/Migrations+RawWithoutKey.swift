extension Migrations {
    /// `telemetry_raw` loses its primary key `(tenant_id, event_id)`: the event-id register
    /// (`ingest_event_ids`, written in the same transaction, migration 4) already makes each message unique,
    /// so the key was a second B-tree holding the same pairs.
    ///
    /// Why: with random (v4) event ids, which `contracts.md` §1 allows, every insert lands on a random page of
    /// that tree, and a batch of 500 dirtied up to 500 of its pages. Measured with the store's statements and
    /// pragmas in Python's sqlite3 (200,000 messages, 500 per transaction, this 2-core VM): 48–51 µs of CPU
    /// per message with the key, 29–30 µs without; with time-ordered (v7) ids, 19.8 → 17.0–18.3 µs.
    /// The dead-letter retry finds a raw row through the series index instead (device and time from the body).
    ///
    /// SQLite cannot drop a primary key: the table is rebuilt, its rows copied in rowid order. PostgreSQL drops
    /// the constraint.
    static let rawWithoutKey = Migration(
        version: 10,
        name: "telemetry_raw_without_key",
        sqlite: [
            "DROP INDEX IF EXISTS telemetry_raw_series",
            "DROP INDEX IF EXISTS telemetry_raw_received",
            "ALTER TABLE telemetry_raw RENAME TO telemetry_raw_v3",
            """
            CREATE TABLE telemetry_raw (
                tenant_id TEXT NOT NULL, event_id TEXT NOT NULL,
                farm_id TEXT NOT NULL, barn_id TEXT NOT NULL, device_id TEXT NOT NULL,
                occurred_at INTEGER NOT NULL, received_at INTEGER NOT NULL, outbox_id INTEGER,
                readings TEXT NOT NULL)
            """,
            """
            INSERT INTO telemetry_raw (tenant_id, event_id, farm_id, barn_id, device_id, occurred_at, received_at, outbox_id, readings)
            SELECT tenant_id, event_id, farm_id, barn_id, device_id, occurred_at, received_at, outbox_id, readings
            FROM telemetry_raw_v3 ORDER BY rowid
            """,
            "DROP TABLE telemetry_raw_v3",
            "CREATE INDEX telemetry_raw_series ON telemetry_raw (tenant_id, device_id, occurred_at)",
            "CREATE INDEX telemetry_raw_received ON telemetry_raw (received_at)",
        ],
        postgres: [
            "ALTER TABLE telemetry_raw DROP CONSTRAINT telemetry_raw_pkey"
        ]
    )
}
