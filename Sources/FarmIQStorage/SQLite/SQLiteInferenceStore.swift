import FarmIQCore

/// ``InferenceStore`` on SQLite: claims run on the single writer, so two workers never take one job.
struct SQLiteInferenceStore: InferenceStore {
    let backend: SQLiteBackend

    func claim(owner: String, limit: Int, leaseMilliseconds: Int64, now: Timestamp) async throws -> [InferenceJob] {
        try await backend.write { connection in
            try connection.transaction {
                let pick = try connection.statement("""
                    SELECT media_id, attempts FROM inference_jobs
                    WHERE (status = 'pending' AND coalesce(lease_until, 0) <= ?1) OR (status = 'running' AND lease_until <= ?1)
                    ORDER BY created_at, media_id LIMIT ?2
                    """)
                defer { pick.reset() }
                pick.bind(1, now.millisecondsSinceEpoch)
                pick.bind(2, limit)
                var picked: [(String, Int)] = []
                while try pick.step() { picked.append((pick.string(0), pick.int(1))) }
                let lease = try connection.statement("""
                    UPDATE inference_jobs SET status = 'running', lease_owner = ?2, lease_until = ?3, attempts = attempts + 1, updated_at = ?4
                    WHERE media_id = ?1
                    """)
                defer { lease.reset() }
                let row = try connection.statement("SELECT \(SQLiteMediaObjectStore.columns) FROM media_objects WHERE media_id = ?1")
                defer { row.reset() }
                var jobs: [InferenceJob] = []
                for (mediaID, attempts) in picked {
                    lease.reset()
                    lease.bind(1, mediaID)
                    lease.bind(2, owner)
                    lease.bind(3, now.millisecondsSinceEpoch + leaseMilliseconds)
                    lease.bind(4, now.millisecondsSinceEpoch)
                    try lease.run()
                    row.reset()
                    row.bind(1, mediaID)
                    if try row.step(), let media = SQLiteMediaObjectStore.decode(row) { jobs.append(InferenceJob(media: media, attempts: attempts)) }
                }
                return jobs
            }
        }
    }

    func finish(_ job: InferenceJob, result: InferenceResult, event: OutboxEvent, owner: String, at time: Timestamp) async throws -> Bool {
        try await backend.write { connection in
            try connection.transaction {
                let done = try connection.statement("""
                    UPDATE inference_jobs SET status = 'done', lease_owner = NULL, lease_until = NULL, updated_at = ?3
                    WHERE media_id = ?1 AND status = 'running' AND lease_owner = ?2
                    """)
                defer { done.reset() }
                done.bind(1, job.media.mediaID)
                done.bind(2, owner)
                done.bind(3, time.millisecondsSinceEpoch)
                try done.run()
                guard connection.changes > 0 else { return false }
                let insert = try connection.statement("""
                    INSERT INTO inference_results (media_id, tenant_id, session_id, status, bird_count, birds, avg_weight_kg, model_version,
                        calibrated, reason, duration_ms, created_at, single_bird_area_px)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) ON CONFLICT (media_id) DO NOTHING
                    """)
                defer { insert.reset() }
                insert.bind(1, job.media.mediaID)
                insert.bind(2, job.media.address.tenantID)
                insert.bind(3, job.media.sessionID)
                insert.bind(4, result.status.rawValue)
                if let count = result.birdCount { insert.bind(5, count) } else { insert.bindNull(5) }
                insert.bind(6, result.birdsJSON)
                if let average = result.averageWeightKg { insert.bind(7, average) } else { insert.bindNull(7) }
                insert.bind(8, result.modelVersion)
                if let calibrated = result.calibrated { insert.bind(9, calibrated ? 1 : 0) } else { insert.bindNull(9) }
                insert.bind(10, result.reason)
                insert.bind(11, result.durationMs)
                insert.bind(12, time.millisecondsSinceEpoch)
                if let area = result.singleBirdAreaPx { insert.bind(13, area) } else { insert.bindNull(13) }
                try insert.run()
                try SQLiteOutboxWriter(connection: connection, createdAt: time).insert(event)
                return true
            }
        }
    }

    func release(_ job: InferenceJob, owner: String, error: String, retryAt: Timestamp) async throws {
        try await backend.write { connection in
            let statement = try connection.statement("""
                UPDATE inference_jobs SET status = 'pending', lease_owner = NULL, lease_until = ?3, last_error = ?4, updated_at = ?5
                WHERE media_id = ?1 AND status = 'running' AND lease_owner = ?2
                """)
            defer { statement.reset() }
            statement.bind(1, job.media.mediaID)
            statement.bind(2, owner)
            statement.bind(3, retryAt.millisecondsSinceEpoch)
            statement.bind(4, String(error.prefix(500)))
            statement.bind(5, Timestamp.now().millisecondsSinceEpoch)
            try statement.run()
        }
    }

    func backlog() async throws -> (waiting: Int, oldestCreatedAt: Timestamp?) {
        try await backend.read { connection in
            let statement = try connection.statement("SELECT count(*), min(created_at) FROM inference_jobs WHERE status <> 'done'")
            defer { statement.reset() }
            _ = try statement.step()
            return (statement.int(0), statement.isNull(1) ? nil : Timestamp(millisecondsSinceEpoch: statement.int64(1)))
        }
    }

    func sessionResults(tenantID: String, sessionID: String) async throws -> (counts: [Int], averageWeightKg: Double?, modelVersion: String?, calibrated: Bool?) {
        try await backend.read { connection in
            let statement = try connection.statement("""
                SELECT bird_count, avg_weight_kg, model_version, calibrated FROM inference_results
                WHERE tenant_id = ?1 AND session_id = ?2 AND status = 'completed' ORDER BY created_at
                """)
            defer { statement.reset() }
            statement.bind(1, tenantID)
            statement.bind(2, sessionID)
            var images: [(count: Int, weightKg: Double?)] = []
            var version: String?, calibrated: Bool?
            while try statement.step() {
                images.append((statement.int(0), statement.isNull(1) ? nil : statement.double(1)))
                version = statement.optionalString(2)
                calibrated = statement.isNull(3) ? nil : statement.int(3) != 0
            }
            return (images.map(\.count), SessionImages.perAnimalEstimate(images), version, calibrated)
        }
    }
}
