extension Migrations {
    /// One event-id space per tenant, across every kind of message and beyond the raw rows' retention
    /// (`contracts.md` §2, "exactly once in effect"): `ingest_event_ids` holds `(tenant_id, event_id)` of every
    /// accepted message with the time it was first received, and is pruned only after the validator's
    /// horizon (``FarmIQCore/EnvelopeValidator/eventIDHorizonMilliseconds``). Existing messages are folded in.
    ///
    /// `ingest_rejects.fingerprint` (SHA-256 of topic and payload, unique) records a redelivered reject once.
    /// `device_events_received`: recent activity for `farmiq-edge status` (as `telemetry_raw_received`).
    static let eventIDRegister = Migration(
        version: 4,
        name: "event_id_register",
        sqlite: [
            """
            CREATE TABLE ingest_event_ids (
                tenant_id TEXT NOT NULL, event_id TEXT NOT NULL, first_seen_at INTEGER NOT NULL,
                PRIMARY KEY (tenant_id, event_id)) WITHOUT ROWID
            """,
            "INSERT OR IGNORE INTO ingest_event_ids SELECT tenant_id, event_id, received_at FROM telemetry_raw",
            "INSERT OR IGNORE INTO ingest_event_ids SELECT tenant_id, event_id, received_at FROM device_events",
            "CREATE INDEX ingest_event_ids_seen ON ingest_event_ids (first_seen_at)",
            "ALTER TABLE ingest_rejects ADD COLUMN fingerprint BLOB",
            "CREATE UNIQUE INDEX ingest_rejects_fingerprint ON ingest_rejects (fingerprint)",
            "CREATE INDEX device_events_received ON device_events (received_at)",
        ],
        postgres: [
            """
            CREATE TABLE ingest_event_ids (
                tenant_id text NOT NULL, event_id uuid NOT NULL, first_seen_at bigint NOT NULL,
                PRIMARY KEY (tenant_id, event_id))
            """,
            """
            INSERT INTO ingest_event_ids SELECT tenant_id, event_id, received_at FROM telemetry_raw
            ON CONFLICT DO NOTHING
            """,
            """
            INSERT INTO ingest_event_ids SELECT tenant_id, event_id, received_at FROM device_events
            ON CONFLICT DO NOTHING
            """,
            "CREATE INDEX ingest_event_ids_seen ON ingest_event_ids (first_seen_at)",
            "ALTER TABLE ingest_rejects ADD COLUMN fingerprint bytea",
            "CREATE UNIQUE INDEX ingest_rejects_fingerprint ON ingest_rejects (fingerprint)",
            "CREATE INDEX device_events_received ON device_events (received_at)",
        ]
    )
}
