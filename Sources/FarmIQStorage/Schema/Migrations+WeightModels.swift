extension Migrations {
    /// Per-station self-calibration of edge-vision-inference: each analysed image's mean single-bird area
    /// (`inference_results.single_bird_area_px`, pixels of the full-size image), one `calibration_pairs` row per
    /// finalized session (its latest revision; `used` false with a `note` when the session cannot teach the model),
    /// and `weight_models`, the versioned models of each station (`version` 1, 2, … per `(tenant_id, station)`;
    /// `origin` `fit` or `import`).
    static let weightModels = Migration(
        version: 9,
        name: "weight_models",
        sqlite: [
            "ALTER TABLE inference_results ADD COLUMN single_bird_area_px REAL",
            """
            CREATE TABLE calibration_pairs (
                tenant_id TEXT NOT NULL, session_id TEXT NOT NULL, station TEXT NOT NULL, revision INTEGER NOT NULL,
                used INTEGER NOT NULL, area_px REAL, weight_kg REAL, note TEXT, created_at INTEGER NOT NULL,
                PRIMARY KEY (tenant_id, session_id))
            """,
            "CREATE INDEX calibration_pairs_station ON calibration_pairs (tenant_id, station)",
            """
            CREATE TABLE weight_models (
                tenant_id TEXT NOT NULL, station TEXT NOT NULL, version INTEGER NOT NULL,
                a REAL NOT NULL, b REAL NOT NULL, sessions INTEGER NOT NULL, cv_mape REAL, calibrated INTEGER NOT NULL,
                origin TEXT NOT NULL, created_at INTEGER NOT NULL,
                PRIMARY KEY (tenant_id, station, version))
            """,
        ],
        postgres: [
            "ALTER TABLE inference_results ADD COLUMN single_bird_area_px double precision",
            """
            CREATE TABLE calibration_pairs (
                tenant_id text NOT NULL, session_id uuid NOT NULL, station text NOT NULL, revision integer NOT NULL,
                used boolean NOT NULL, area_px double precision, weight_kg double precision, note text, created_at bigint NOT NULL,
                PRIMARY KEY (tenant_id, session_id))
            """,
            "CREATE INDEX calibration_pairs_station ON calibration_pairs (tenant_id, station)",
            """
            CREATE TABLE weight_models (
                tenant_id text NOT NULL, station text NOT NULL, version integer NOT NULL,
                a double precision NOT NULL, b double precision NOT NULL, sessions integer NOT NULL, cv_mape double precision,
                calibrated boolean NOT NULL, origin text NOT NULL, created_at bigint NOT NULL,
                PRIMARY KEY (tenant_id, station, version))
            """,
        ])
}
