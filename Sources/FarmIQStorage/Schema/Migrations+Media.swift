extension Migrations {
    /// The media store (`contracts.md` §3, revision 2): `media_objects`, one row per stored image, unique per
    /// `(tenant_id, event_id)` (the upload's idempotency key) and per path; `uploaded_at` is set when the cloud
    /// accepted the bytes, `evicted_at` when the file was deleted to free the volume (only after upload).
    /// `inference_jobs` holds one row per image for edge-vision-inference, written in the same transaction.
    static let media = Migration(
        version: 7,
        name: "media",
        sqlite: [
            """
            CREATE TABLE media_objects (
                media_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, farm_id TEXT NOT NULL, barn_id TEXT NOT NULL,
                device_id TEXT NOT NULL, event_id TEXT NOT NULL, session_id TEXT, captured_at INTEGER NOT NULL,
                path TEXT NOT NULL UNIQUE, sha256 TEXT NOT NULL, size_bytes INTEGER NOT NULL, width INTEGER NOT NULL,
                height INTEGER NOT NULL, content_type TEXT NOT NULL DEFAULT 'image/jpeg', created_at INTEGER NOT NULL,
                uploaded_at INTEGER, evicted_at INTEGER,
                UNIQUE (tenant_id, event_id))
            """,
            "CREATE INDEX media_objects_pending ON media_objects (created_at) WHERE uploaded_at IS NULL",
            "CREATE INDEX media_objects_session ON media_objects (tenant_id, session_id)",
            "CREATE INDEX media_objects_evictable ON media_objects (captured_at) WHERE uploaded_at IS NOT NULL AND evicted_at IS NULL",
            """
            CREATE TABLE inference_jobs (
                media_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending',
                attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)
            """,
            "CREATE INDEX inference_jobs_pending ON inference_jobs (created_at) WHERE status = 'pending'",
        ],
        postgres: [
            """
            CREATE TABLE media_objects (
                media_id uuid PRIMARY KEY, tenant_id text NOT NULL, farm_id text NOT NULL, barn_id text NOT NULL,
                device_id text NOT NULL, event_id uuid NOT NULL, session_id uuid, captured_at bigint NOT NULL,
                path text NOT NULL UNIQUE, sha256 text NOT NULL, size_bytes bigint NOT NULL, width integer NOT NULL,
                height integer NOT NULL, content_type text NOT NULL DEFAULT 'image/jpeg', created_at bigint NOT NULL,
                uploaded_at bigint, evicted_at bigint,
                UNIQUE (tenant_id, event_id))
            """,
            "CREATE INDEX media_objects_pending ON media_objects (created_at) WHERE uploaded_at IS NULL",
            "CREATE INDEX media_objects_session ON media_objects (tenant_id, session_id)",
            "CREATE INDEX media_objects_evictable ON media_objects (captured_at) WHERE uploaded_at IS NOT NULL AND evicted_at IS NULL",
            """
            CREATE TABLE inference_jobs (
                media_id uuid PRIMARY KEY, tenant_id text NOT NULL, status text NOT NULL DEFAULT 'pending',
                attempts integer NOT NULL DEFAULT 0, last_error text, created_at bigint NOT NULL, updated_at bigint NOT NULL)
            """,
            "CREATE INDEX inference_jobs_pending ON inference_jobs (created_at) WHERE status = 'pending'",
        ])
}
