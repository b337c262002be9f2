import FarmIQCore
import FarmIQSQLite

/// ``WeightModelStore`` on SQLite: writes on the single writer (a station's next version is read and taken in one
/// transaction).
struct SQLiteWeightModelStore: WeightModelStore {
    let backend: SQLiteBackend

    static func decodeModel(_ row: SQLiteStatement) -> StationModel? {
        guard let origin = StationModel.Origin(rawValue: row.string(8)) else { return nil }
        return StationModel(
            tenantID: row.string(0), station: row.string(1), version: row.int(2), a: row.double(3), b: row.double(4), sessions: row.int(5),
            crossValidatedMAPE: row.isNull(6) ? nil : row.double(6), calibrated: row.int(7) != 0, origin: origin,
            createdAt: Timestamp(millisecondsSinceEpoch: row.int64(9)))
    }

    func calibrationCandidates(limit: Int) async throws -> [CalibrationCandidate] {
        try await backend.read { connection in
            let statement = try connection.statement(WeightModelSQL.candidates(sessionID: "s.session_id") + " LIMIT ?1")
            defer { statement.reset() }
            statement.bind(1, limit)
            var candidates: [CalibrationCandidate] = []
            while try statement.step() {
                candidates.append(CalibrationCandidate(
                    tenantID: statement.string(0), sessionID: statement.string(1), station: statement.string(2), revision: statement.int(3),
                    weightKg: statement.double(4), birdCount: statement.int(5), resultJSON: statement.optionalString(6),
                    singleBirdAreaPx: statement.isNull(7) ? nil : statement.double(7)))
            }
            return candidates
        }
    }

    func record(_ candidate: CalibrationCandidate, pair: CalibrationPair?, note: String?, at time: Timestamp) async throws -> [CalibrationPair]? {
        try await backend.write { connection in
            try connection.transaction {
                let upsert = try connection.statement("""
                    INSERT INTO calibration_pairs (tenant_id, session_id, station, revision, used, area_px, weight_kg, note, created_at)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \(WeightModelSQL.recordPairOnConflict)
                    """)
                defer { upsert.reset() }
                upsert.bind(1, candidate.tenantID)
                upsert.bind(2, candidate.sessionID)
                upsert.bind(3, candidate.station)
                upsert.bind(4, candidate.revision)
                upsert.bind(5, pair == nil ? 0 : 1)
                if let pair { upsert.bind(6, pair.areaPixels) } else { upsert.bindNull(6) }
                if let pair { upsert.bind(7, pair.weightKg) } else { upsert.bindNull(7) }
                upsert.bind(8, note.map { String($0.prefix(200)) })
                upsert.bind(9, time.millisecondsSinceEpoch)
                try upsert.run()
                guard connection.changes > 0 else { return nil }
                let pairs = try connection.statement("""
                    SELECT area_px, weight_kg FROM calibration_pairs WHERE tenant_id = ?1 AND station = ?2 AND used = 1 ORDER BY created_at, session_id
                    """)
                defer { pairs.reset() }
                pairs.bind(1, candidate.tenantID)
                pairs.bind(2, candidate.station)
                var list: [CalibrationPair] = []
                while try pairs.step() { list.append(CalibrationPair(areaPixels: pairs.double(0), weightKg: pairs.double(1))) }
                return list
            }
        }
    }

    func add(_ model: StationModel) async throws -> StationModel {
        try await backend.write { connection in
            try connection.transaction {
                let next = try connection.statement("SELECT coalesce(max(version), 0) + 1 FROM weight_models WHERE tenant_id = ?1 AND station = ?2")
                defer { next.reset() }
                next.bind(1, model.tenantID)
                next.bind(2, model.station)
                _ = try next.step()
                var stored = model
                stored.version = next.int(0)
                let insert = try connection.statement("INSERT INTO weight_models (\(WeightModelSQL.modelColumns)) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")
                defer { insert.reset() }
                insert.bind(1, stored.tenantID)
                insert.bind(2, stored.station)
                insert.bind(3, stored.version)
                insert.bind(4, stored.a)
                insert.bind(5, stored.b)
                insert.bind(6, stored.sessions)
                if let mape = stored.crossValidatedMAPE { insert.bind(7, mape) } else { insert.bindNull(7) }
                insert.bind(8, stored.calibrated ? 1 : 0)
                insert.bind(9, stored.origin.rawValue)
                insert.bind(10, stored.createdAt.millisecondsSinceEpoch)
                try insert.run()
                return stored
            }
        }
    }

    func current(tenantID: String, station: String) async throws -> StationModel? {
        try await backend.read { connection in
            let statement = try connection.statement("""
                SELECT \(WeightModelSQL.modelColumns) FROM weight_models WHERE tenant_id = ?1 AND station = ?2 ORDER BY version DESC LIMIT 1
                """)
            defer { statement.reset() }
            statement.bind(1, tenantID)
            statement.bind(2, station)
            return try statement.step() ? Self.decodeModel(statement) : nil
        }
    }

    func current(tenantID: String, sessionID: String) async throws -> StationModel? {
        try await backend.read { connection in
            let statement = try connection.statement("""
                SELECT \(WeightModelSQL.qualifiedModelColumns) \(WeightModelSQL.sessionModels)
                WHERE s.tenant_id = ?1 AND s.session_id = ?2 ORDER BY m.version DESC LIMIT 1
                """)
            defer { statement.reset() }
            statement.bind(1, tenantID)
            statement.bind(2, sessionID)
            return try statement.step() ? Self.decodeModel(statement) : nil
        }
    }

    func currentModels(tenantID: String?) async throws -> [StationModel] {
        try await backend.read { connection in
            let statement = try connection.statement("""
                SELECT \(WeightModelSQL.modelColumns) FROM weight_models m
                WHERE (?1 IS NULL OR m.tenant_id = ?1)
                  AND \(WeightModelSQL.isLatestVersion)
                ORDER BY m.tenant_id, m.station
                """)
            defer { statement.reset() }
            statement.bind(1, tenantID)
            var models: [StationModel] = []
            while try statement.step() {
                if let model = Self.decodeModel(statement) { models.append(model) }
            }
            return models
        }
    }
}
