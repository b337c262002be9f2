extension Migrations {
    /// Weigh sessions (`contracts.md` §3a), owned by edge-weighvision-session: `weight_sessions` (one row per
    /// `(tenant_id, session_id)`: the lifecycle of ``FarmIQCore/WeighSession`` and the last finalized result) and
    /// `weight_readings` (one row per `weighvision.weight.reading`). `due_at` (ms, edge clock) is when the
    /// finalization pass must close the session; NULL once finalized and unchanged.
    static let weighSessions = Migration(
        version: 5,
        name: "weigh_sessions",
        sqlite: [
            """
            CREATE TABLE weight_sessions (
                tenant_id TEXT NOT NULL, session_id TEXT NOT NULL,
                farm_id TEXT NOT NULL, barn_id TEXT NOT NULL, device_id TEXT NOT NULL,
                station_id TEXT, animal TEXT, expected_count INTEGER,
                started_at INTEGER, ended_at INTEGER, end_reason TEXT,
                first_occurred_at INTEGER NOT NULL, last_occurred_at INTEGER NOT NULL, last_received_at INTEGER NOT NULL,
                revision INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL, late_events INTEGER NOT NULL DEFAULT 0, due_at INTEGER,
                weight_kg REAL, bird_count INTEGER, avg_weight_kg REAL, result TEXT, finalized_at INTEGER,
                PRIMARY KEY (tenant_id, session_id))
            """,
            "CREATE INDEX weight_sessions_due ON weight_sessions (due_at) WHERE due_at IS NOT NULL",
            "CREATE INDEX weight_sessions_recent ON weight_sessions (tenant_id, first_occurred_at, session_id)",
            """
            CREATE TABLE weight_readings (
                tenant_id TEXT NOT NULL, event_id TEXT NOT NULL, session_id TEXT NOT NULL,
                seq INTEGER NOT NULL, weight_kg REAL NOT NULL, stable INTEGER NOT NULL,
                occurred_at INTEGER NOT NULL, received_at INTEGER NOT NULL, outbox_id INTEGER,
                PRIMARY KEY (tenant_id, event_id))
            """,
            "CREATE INDEX weight_readings_session ON weight_readings (tenant_id, session_id, seq)",
        ],
        postgres: [
            """
            CREATE TABLE weight_sessions (
                tenant_id text NOT NULL, session_id uuid NOT NULL,
                farm_id text NOT NULL, barn_id text NOT NULL, device_id text NOT NULL,
                station_id text, animal text, expected_count integer,
                started_at bigint, ended_at bigint, end_reason text,
                first_occurred_at bigint NOT NULL, last_occurred_at bigint NOT NULL, last_received_at bigint NOT NULL,
                revision integer NOT NULL DEFAULT 0, status text NOT NULL, late_events boolean NOT NULL DEFAULT false, due_at bigint,
                weight_kg double precision, bird_count integer, avg_weight_kg double precision, result text, finalized_at bigint,
                PRIMARY KEY (tenant_id, session_id))
            """,
            "CREATE INDEX weight_sessions_due ON weight_sessions (due_at) WHERE due_at IS NOT NULL",
            "CREATE INDEX weight_sessions_recent ON weight_sessions (tenant_id, first_occurred_at, session_id)",
            """
            CREATE TABLE weight_readings (
                tenant_id text NOT NULL, event_id uuid NOT NULL, session_id uuid NOT NULL,
                seq integer NOT NULL, weight_kg double precision NOT NULL, stable boolean NOT NULL,
                occurred_at bigint NOT NULL, received_at bigint NOT NULL, outbox_id bigint,
                PRIMARY KEY (tenant_id, event_id))
            """,
            "CREATE INDEX weight_readings_session ON weight_readings (tenant_id, session_id, seq)",
        ])
}
