/// The SQL text both ``WeightModelStore`` implementations share; only placeholders and casts differ per engine.
enum WeightModelSQL {
    static let modelColumns = "tenant_id, station, version, a, b, sessions, cv_mape, calibrated, origin, created_at"

    /// ``modelColumns`` of `weight_models m`.
    static let qualifiedModelColumns = "m.tenant_id, m.station, m.version, m.a, m.b, m.sessions, m.cv_mape, m.calibrated, m.origin, m.created_at"

    /// A session `s` and the models of its station `m` (`station_id`, else the `device_id` that opened it).
    static let sessionModels = """
        FROM weight_sessions s JOIN weight_models m ON m.tenant_id = s.tenant_id AND m.station = coalesce(s.station_id, s.device_id)
        """

    /// A model row `m` that is its station's highest version.
    static let isLatestVersion = "m.version = (SELECT max(version) FROM weight_models n WHERE n.tenant_id = m.tenant_id AND n.station = m.station)"

    /// The calibration candidates in ``WeightModelStore/calibrationCandidates(limit:)`` order, without a LIMIT;
    /// `sessionID` selects the session id as text (`s.session_id::text` on PostgreSQL).
    static func candidates(sessionID: String) -> String {
        """
        SELECT s.tenant_id, \(sessionID), coalesce(s.station_id, s.device_id), s.revision, s.weight_kg, s.bird_count, s.result,
            (SELECT avg(r.single_bird_area_px) FROM inference_results r
             WHERE r.tenant_id = s.tenant_id AND r.session_id = s.session_id AND r.status = 'completed' AND r.single_bird_area_px IS NOT NULL)
        FROM weight_sessions s
        WHERE s.status = 'completed' AND s.weight_kg IS NOT NULL AND s.bird_count IS NOT NULL AND s.revision > 0
          AND NOT EXISTS (SELECT 1 FROM calibration_pairs p
                          WHERE p.tenant_id = s.tenant_id AND p.session_id = s.session_id AND p.revision >= s.revision)
        ORDER BY s.finalized_at, s.session_id
        """
    }

    /// The upsert's conflict clause: a later revision of a session replaces its row, an earlier or equal one changes
    /// nothing (so a caller can tell it was first).
    static let recordPairOnConflict = """
        ON CONFLICT (tenant_id, session_id) DO UPDATE SET station = excluded.station, revision = excluded.revision,
            used = excluded.used, area_px = excluded.area_px, weight_kg = excluded.weight_kg, note = excluded.note,
            created_at = excluded.created_at
        WHERE calibration_pairs.revision < excluded.revision
        """
}
