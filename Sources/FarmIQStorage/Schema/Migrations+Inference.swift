extension Migrations {
    /// edge-vision-inference: a lease on each job (`lease_owner`, `lease_until`, ms) so a worker that dies mid-job
    /// only delays it, and `inference_results`, one row per analysed image (`status` `completed` or `failed`) with
    /// the count, the birds as JSON, the estimate, the model version and the reason of a failure.
    static let inference = Migration(
        version: 8,
        name: "inference",
        sqlite: [
            "ALTER TABLE inference_jobs ADD COLUMN lease_owner TEXT",
            "ALTER TABLE inference_jobs ADD COLUMN lease_until INTEGER",
            """
            CREATE TABLE inference_results (
                media_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, session_id TEXT, status TEXT NOT NULL,
                bird_count INTEGER, birds TEXT, avg_weight_kg REAL, model_version TEXT, calibrated INTEGER,
                reason TEXT, duration_ms REAL NOT NULL, created_at INTEGER NOT NULL)
            """,
            "CREATE INDEX inference_results_session ON inference_results (tenant_id, session_id)",
        ],
        postgres: [
            "ALTER TABLE inference_jobs ADD COLUMN lease_owner text",
            "ALTER TABLE inference_jobs ADD COLUMN lease_until bigint",
            """
            CREATE TABLE inference_results (
                media_id uuid PRIMARY KEY, tenant_id text NOT NULL, session_id uuid, status text NOT NULL,
                bird_count integer, birds text, avg_weight_kg double precision, model_version text, calibrated boolean,
                reason text, duration_ms double precision NOT NULL, created_at bigint NOT NULL)
            """,
            "CREATE INDEX inference_results_session ON inference_results (tenant_id, session_id)",
        ])
}
