/// One versioned schema change, written for both engines. Versions are shared: version N means the same
/// tables and columns on SQLite and PostgreSQL.
struct Migration: Sendable {
    let version: Int
    let name: String
    let sqlite: [String]
    let postgres: [String]
}

/// The migrations, in order. Append only: a released migration never changes.
///
/// Timestamps are BIGINT milliseconds since the epoch (UTC) on both engines; `event_id` is `uuid` on
/// PostgreSQL and canonical lower-case TEXT on SQLite (their orders agree).
enum Migrations {
    static let all: [Migration] = [
        initial, outboxCursor, rawPerMessage, eventIDRegister, weighSessions, devices, media, inference, weightModels, rawWithoutKey,
        pendingTally,
    ]

    static let initial = Migration(
        version: 1,
        name: "initial",
        sqlite: [
            """
            CREATE TABLE telemetry_raw (
                tenant_id TEXT NOT NULL, event_id TEXT NOT NULL, idx INTEGER NOT NULL,
                farm_id TEXT NOT NULL, barn_id TEXT NOT NULL, device_id TEXT NOT NULL,
                metric TEXT NOT NULL, value REAL NOT NULL, unit TEXT,
                occurred_at INTEGER NOT NULL, received_at INTEGER NOT NULL, outbox_id INTEGER,
                PRIMARY KEY (tenant_id, event_id, idx))
            """,
            "CREATE INDEX telemetry_raw_series ON telemetry_raw (tenant_id, device_id, metric, occurred_at)",
            "CREATE INDEX telemetry_raw_received ON telemetry_raw (received_at)",
            """
            CREATE TABLE telemetry_agg (
                tenant_id TEXT NOT NULL, farm_id TEXT NOT NULL, barn_id TEXT NOT NULL, device_id TEXT NOT NULL,
                metric TEXT NOT NULL, bucket_size INTEGER NOT NULL, bucket_start INTEGER NOT NULL,
                count INTEGER NOT NULL, sum REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL,
                last_value REAL NOT NULL, last_occurred_at INTEGER NOT NULL, last_event_id TEXT NOT NULL,
                PRIMARY KEY (tenant_id, bucket_size, device_id, metric, bucket_start, farm_id, barn_id)) WITHOUT ROWID
            """,
            """
            CREATE TABLE device_events (
                tenant_id TEXT NOT NULL, event_id TEXT NOT NULL,
                farm_id TEXT NOT NULL, barn_id TEXT NOT NULL, device_id TEXT NOT NULL,
                event_type TEXT NOT NULL, occurred_at INTEGER NOT NULL, received_at INTEGER NOT NULL,
                trace_id TEXT, payload TEXT NOT NULL, outbox_id INTEGER,
                PRIMARY KEY (tenant_id, event_id))
            """,
            "CREATE INDEX device_events_device ON device_events (tenant_id, device_id, occurred_at)",
            """
            CREATE TABLE ingest_rejects (
                id INTEGER PRIMARY KEY AUTOINCREMENT, received_at INTEGER NOT NULL, topic TEXT NOT NULL,
                tenant_id TEXT, reason TEXT NOT NULL, detail TEXT NOT NULL,
                payload_size INTEGER NOT NULL, payload_prefix BLOB NOT NULL)
            """,
            "CREATE INDEX ingest_rejects_tenant ON ingest_rejects (tenant_id, id)",
            "CREATE INDEX ingest_rejects_reason ON ingest_rejects (reason)",
            """
            CREATE TABLE sync_outbox (
                id INTEGER PRIMARY KEY AUTOINCREMENT, tenant_id TEXT NOT NULL, event_id TEXT NOT NULL,
                event_type TEXT NOT NULL, occurred_at INTEGER NOT NULL, created_at INTEGER NOT NULL,
                body TEXT NOT NULL, status INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,
                last_error TEXT, delivered_at INTEGER)
            """,
            "CREATE INDEX sync_outbox_pending ON sync_outbox (id) WHERE status = 0",
            "CREATE INDEX sync_outbox_dead ON sync_outbox (id) WHERE status = 2",
            """
            CREATE TABLE sync_state (
                tenant_id TEXT PRIMARY KEY, last_success_at INTEGER, state TEXT NOT NULL,
                detail TEXT, updated_at INTEGER NOT NULL)
            """,
        ],
        postgres: [
            """
            CREATE TABLE telemetry_raw (
                tenant_id text NOT NULL, event_id uuid NOT NULL, idx integer NOT NULL,
                farm_id text NOT NULL, barn_id text NOT NULL, device_id text NOT NULL,
                metric text NOT NULL, value double precision NOT NULL, unit text,
                occurred_at bigint NOT NULL, received_at bigint NOT NULL, outbox_id bigint,
                PRIMARY KEY (tenant_id, event_id, idx))
            """,
            "CREATE INDEX telemetry_raw_series ON telemetry_raw (tenant_id, device_id, metric, occurred_at)",
            "CREATE INDEX telemetry_raw_received ON telemetry_raw (received_at)",
            """
            CREATE TABLE telemetry_agg (
                tenant_id text NOT NULL, farm_id text NOT NULL, barn_id text NOT NULL, device_id text NOT NULL,
                metric text NOT NULL, bucket_size integer NOT NULL, bucket_start bigint NOT NULL,
                count bigint NOT NULL, sum double precision NOT NULL, min double precision NOT NULL,
                max double precision NOT NULL, last_value double precision NOT NULL,
                last_occurred_at bigint NOT NULL, last_event_id uuid NOT NULL,
                PRIMARY KEY (tenant_id, bucket_size, device_id, metric, bucket_start, farm_id, barn_id))
            """,
            """
            CREATE TABLE device_events (
                tenant_id text NOT NULL, event_id uuid NOT NULL,
                farm_id text NOT NULL, barn_id text NOT NULL, device_id text NOT NULL,
                event_type text NOT NULL, occurred_at bigint NOT NULL, received_at bigint NOT NULL,
                trace_id text, payload text NOT NULL, outbox_id bigint,
                PRIMARY KEY (tenant_id, event_id))
            """,
            "CREATE INDEX device_events_device ON device_events (tenant_id, device_id, occurred_at)",
            """
            CREATE TABLE ingest_rejects (
                id bigserial PRIMARY KEY, received_at bigint NOT NULL, topic text NOT NULL,
                tenant_id text, reason text NOT NULL, detail text NOT NULL,
                payload_size integer NOT NULL, payload_prefix bytea NOT NULL)
            """,
            "CREATE INDEX ingest_rejects_tenant ON ingest_rejects (tenant_id, id)",
            "CREATE INDEX ingest_rejects_reason ON ingest_rejects (reason)",
            """
            CREATE TABLE sync_outbox (
                id bigserial PRIMARY KEY, tenant_id text NOT NULL, event_id uuid NOT NULL,
                event_type text NOT NULL, occurred_at bigint NOT NULL, created_at bigint NOT NULL,
                body text NOT NULL, status smallint NOT NULL DEFAULT 0, attempts integer NOT NULL DEFAULT 0,
                last_error text, delivered_at bigint,
                txid xid8 NOT NULL DEFAULT pg_current_xact_id())
            """,
            "CREATE INDEX sync_outbox_pending ON sync_outbox (id) WHERE status = 0",
            "CREATE INDEX sync_outbox_dead ON sync_outbox (id) WHERE status = 2",
            """
            CREATE TABLE sync_state (
                tenant_id text PRIMARY KEY, last_success_at bigint, state text NOT NULL,
                detail text, updated_at bigint NOT NULL)
            """,
        ]
    )
}
