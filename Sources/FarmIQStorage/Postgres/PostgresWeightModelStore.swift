import FarmIQCore
import Logging
import PostgresNIO

/// ``WeightModelStore`` on PostgreSQL: a station's next version is taken under a transaction-scoped advisory lock
/// on the station, so two inference replicas refitting at once never collide on a version.
struct PostgresWeightModelStore: WeightModelStore {
    let backend: PostgresBackend
    var logger: Logger { backend.logger }

    typealias ModelRow = (String, String, Int32, Double, Double, Int32, Double?, Bool, String, Int64)

    static func decodeModel(_ row: ModelRow) -> StationModel? {
        guard let origin = StationModel.Origin(rawValue: row.8) else { return nil }
        return StationModel(
            tenantID: row.0, station: row.1, version: Int(row.2), a: row.3, b: row.4, sessions: Int(row.5), crossValidatedMAPE: row.6,
            calibrated: row.7, origin: origin, createdAt: Timestamp(millisecondsSinceEpoch: row.9))
    }

    private func models(_ rows: PostgresRows, _ operation: String) async throws -> [StationModel] {
        var models: [StationModel] = []
        do {
            for try await row in rows.decode(ModelRow.self) {
                if let model = Self.decodeModel(row) { models.append(model) }
            }
        } catch {
            throw PostgresErrors.map(error, operation)
        }
        return models
    }

    func calibrationCandidates(limit: Int) async throws -> [CalibrationCandidate] {
        let rows = try await backend.query("""
            \(unescaped: WeightModelSQL.candidates(sessionID: "s.session_id::text")) LIMIT \(limit)
            """, "calibration candidates")
        var candidates: [CalibrationCandidate] = []
        do {
            for try await (tenant, session, station, revision, weight, count, result, area) in rows.decode(
                (String, String, String, Int32, Double, Int32, String?, Double?).self)
            {
                candidates.append(CalibrationCandidate(
                    tenantID: tenant, sessionID: session, station: station, revision: Int(revision), weightKg: weight, birdCount: Int(count),
                    resultJSON: result, singleBirdAreaPx: area))
            }
        } catch {
            throw PostgresErrors.map(error, "calibration candidates")
        }
        return candidates
    }

    func record(_ candidate: CalibrationCandidate, pair: CalibrationPair?, note: String?, at time: Timestamp) async throws -> [CalibrationPair]? {
        let logger = self.logger
        return try await backend.transaction("record calibration pair") { connection in
            var changed = false
            for try await _ in try await connection.query("""
                INSERT INTO calibration_pairs (tenant_id, session_id, station, revision, used, area_px, weight_kg, note, created_at)
                VALUES (\(candidate.tenantID), \(candidate.sessionID)::uuid, \(candidate.station), \(Int32(candidate.revision)), \(pair != nil),
                        \(pair?.areaPixels), \(pair?.weightKg), \(note.map { String($0.prefix(200)) }), \(time.millisecondsSinceEpoch))
                \(unescaped: WeightModelSQL.recordPairOnConflict)
                RETURNING 1
                """, logger: logger) {
                changed = true
            }
            guard changed else { return nil }
            var pairs: [CalibrationPair] = []
            for try await (area, weight) in try await connection.query("""
                SELECT area_px, weight_kg FROM calibration_pairs
                WHERE tenant_id = \(candidate.tenantID) AND station = \(candidate.station) AND used ORDER BY created_at, session_id
                """, logger: logger).decode((Double, Double).self) {
                pairs.append(CalibrationPair(areaPixels: area, weightKg: weight))
            }
            return pairs
        }
    }

    func add(_ model: StationModel) async throws -> StationModel {
        let logger = self.logger
        return try await backend.transaction("add weight model") { connection in
            try await connection.query(
                "SELECT pg_advisory_xact_lock(hashtext(\(model.tenantID + "/" + model.station)))", logger: logger)
            var stored = model
            for try await next in try await connection.query("""
                SELECT coalesce(max(version), 0) + 1 FROM weight_models WHERE tenant_id = \(model.tenantID) AND station = \(model.station)
                """, logger: logger).decode(Int32.self) {
                stored.version = Int(next)
            }
            try await connection.query("""
                INSERT INTO weight_models (\(unescaped: WeightModelSQL.modelColumns))
                VALUES (\(stored.tenantID), \(stored.station), \(Int32(stored.version)), \(stored.a), \(stored.b), \(Int32(stored.sessions)),
                        \(stored.crossValidatedMAPE), \(stored.calibrated), \(stored.origin.rawValue), \(stored.createdAt.millisecondsSinceEpoch))
                """, logger: logger)
            return stored
        }
    }

    func current(tenantID: String, station: String) async throws -> StationModel? {
        let rows = try await backend.query("""
            SELECT \(unescaped: WeightModelSQL.modelColumns) FROM weight_models WHERE tenant_id = \(tenantID) AND station = \(station)
            ORDER BY version DESC LIMIT 1
            """, "current weight model")
        return try await models(rows, "current weight model").first
    }

    func current(tenantID: String, sessionID: String) async throws -> StationModel? {
        guard Identifier.isValidUUID(sessionID) else { return nil }
        let rows = try await backend.query("""
            SELECT \(unescaped: WeightModelSQL.qualifiedModelColumns) \(unescaped: WeightModelSQL.sessionModels)
            WHERE s.tenant_id = \(tenantID) AND s.session_id = \(sessionID)::uuid ORDER BY m.version DESC LIMIT 1
            """, "weight model of a session")
        return try await models(rows, "weight model of a session").first
    }

    func currentModels(tenantID: String?) async throws -> [StationModel] {
        let rows = try await backend.query("""
            SELECT \(unescaped: WeightModelSQL.modelColumns) FROM weight_models m
            WHERE (\(tenantID)::text IS NULL OR m.tenant_id = \(tenantID))
              AND \(unescaped: WeightModelSQL.isLatestVersion)
            ORDER BY m.tenant_id, m.station
            """, "current weight models")
        return try await models(rows, "current weight models")
    }
}
