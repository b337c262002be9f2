extension Migrations {
    /// `telemetry_raw` holds one row per message instead of one per reading: the readings of a message
    /// are one JSON column, `[[metric, value, unit], …]` in message order (see ``ReadingsColumn``).
    ///
    /// Why: each reading cost a row and three index entries (key, series, received), so a 3-reading
    /// message touched 12 B-tree positions, and the series index scattered its inserts over every
    /// device and metric. Per message it is 4 (`farmiq-edge bench ingest`, README Performance). The
    /// idempotency key is now the primary key itself, `(tenant_id, event_id)`. Existing rows are
    /// folded into the new shape; the per-reading API (`RawReading`, with its index) is unchanged.
    static let rawPerMessage = Migration(
        version: 3,
        name: "telemetry_raw_per_message",
        sqlite: [
            "DROP INDEX IF EXISTS telemetry_raw_series",
            "DROP INDEX IF EXISTS telemetry_raw_received",
            "ALTER TABLE telemetry_raw RENAME TO telemetry_raw_v1",
            """
            CREATE TABLE telemetry_raw (
                tenant_id TEXT NOT NULL, event_id TEXT NOT NULL,
                farm_id TEXT NOT NULL, barn_id TEXT NOT NULL, device_id TEXT NOT NULL,
                occurred_at INTEGER NOT NULL, received_at INTEGER NOT NULL, outbox_id INTEGER,
                readings TEXT NOT NULL,
                PRIMARY KEY (tenant_id, event_id))
            """,
            // The subquery's order (the old primary key) puts each message's readings in index order.
            """
            INSERT INTO telemetry_raw (tenant_id, event_id, farm_id, barn_id, device_id, occurred_at, received_at, outbox_id, readings)
            SELECT tenant_id, event_id, farm_id, barn_id, device_id, occurred_at, received_at, outbox_id,
                   json_group_array(json_array(metric, value, unit))
            FROM (SELECT * FROM telemetry_raw_v1 ORDER BY tenant_id, event_id, idx)
            GROUP BY tenant_id, event_id
            """,
            "DROP TABLE telemetry_raw_v1",
            "CREATE INDEX telemetry_raw_series ON telemetry_raw (tenant_id, device_id, occurred_at)",
            "CREATE INDEX telemetry_raw_received ON telemetry_raw (received_at)",
        ],
        postgres: [
            "DROP INDEX IF EXISTS telemetry_raw_series",
            "DROP INDEX IF EXISTS telemetry_raw_received",
            "ALTER TABLE telemetry_raw RENAME TO telemetry_raw_v1",
            "ALTER TABLE telemetry_raw_v1 RENAME CONSTRAINT telemetry_raw_pkey TO telemetry_raw_v1_pkey",
            """
            CREATE TABLE telemetry_raw (
                tenant_id text NOT NULL, event_id uuid NOT NULL,
                farm_id text NOT NULL, barn_id text NOT NULL, device_id text NOT NULL,
                occurred_at bigint NOT NULL, received_at bigint NOT NULL, outbox_id bigint,
                readings text NOT NULL,
                PRIMARY KEY (tenant_id, event_id))
            """,
            """
            INSERT INTO telemetry_raw (tenant_id, event_id, farm_id, barn_id, device_id, occurred_at, received_at, outbox_id, readings)
            SELECT tenant_id, event_id, min(farm_id), min(barn_id), min(device_id), min(occurred_at), min(received_at), min(outbox_id),
                   json_agg(json_build_array(metric, value, unit) ORDER BY idx)::text
            FROM telemetry_raw_v1
            GROUP BY tenant_id, event_id
            """,
            "DROP TABLE telemetry_raw_v1",
            "CREATE INDEX telemetry_raw_series ON telemetry_raw (tenant_id, device_id, occurred_at)",
            "CREATE INDEX telemetry_raw_received ON telemetry_raw (received_at)",
        ]
    )
}
