import FarmIQCore
import Logging
import PostgresNIO

/// ``InferenceStore`` on PostgreSQL: claims take rows with `FOR UPDATE SKIP LOCKED`, so replicas never wait for
/// or double-take each other's jobs.
struct PostgresInferenceStore: InferenceStore {
    let backend: PostgresBackend
    var logger: Logger { backend.logger }

    func claim(owner: String, limit: Int, leaseMilliseconds: Int64, now: Timestamp) async throws -> [InferenceJob] {
        let logger = self.logger
        let nowMs = now.millisecondsSinceEpoch
        return try await backend.transaction("claim inference jobs") { connection in
            var attempts: [String: Int] = [:]
            for try await (mediaID, tries) in try await connection.query("""
                WITH picked AS (
                    SELECT media_id FROM inference_jobs
                    WHERE (status = 'pending' AND coalesce(lease_until, 0) <= \(nowMs)) OR (status = 'running' AND lease_until <= \(nowMs))
                    ORDER BY created_at, media_id LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                UPDATE inference_jobs j SET status = 'running', lease_owner = \(owner), lease_until = \(nowMs + leaseMilliseconds),
                    attempts = j.attempts + 1, updated_at = \(nowMs)
                FROM picked WHERE j.media_id = picked.media_id
                RETURNING j.media_id::text, j.attempts - 1
                """, logger: logger).decode((String, Int32).self) {
                attempts[mediaID] = Int(tries)
            }
            guard !attempts.isEmpty else { return [] }
            var jobs: [InferenceJob] = []
            for try await row in try await connection.query("""
                SELECT \(unescaped: PostgresMediaObjectStore.columns) FROM media_objects WHERE media_id = ANY(\(Array(attempts.keys))::uuid[])
                ORDER BY created_at
                """, logger: logger) {
                if let media = try PostgresMediaObjectStore.decode(row) { jobs.append(InferenceJob(media: media, attempts: attempts[media.mediaID] ?? 0)) }
            }
            return jobs
        }
    }

    func finish(_ job: InferenceJob, result: InferenceResult, event: OutboxEvent, owner: String, at time: Timestamp) async throws -> Bool {
        let logger = self.logger
        let media = job.media
        return try await backend.transaction("finish inference job") { connection in
            var held = false
            for try await _ in try await connection.query("""
                UPDATE inference_jobs SET status = 'done', lease_owner = NULL, lease_until = NULL, updated_at = \(time.millisecondsSinceEpoch)
                WHERE media_id = \(media.mediaID)::uuid AND status = 'running' AND lease_owner = \(owner) RETURNING 1
                """, logger: logger) {
                held = true
            }
            guard held else { return false }
            try await connection.query("""
                INSERT INTO inference_results (media_id, tenant_id, session_id, status, bird_count, birds, avg_weight_kg, model_version,
                    calibrated, reason, duration_ms, created_at, single_bird_area_px)
                VALUES (\(media.mediaID)::uuid, \(media.address.tenantID), \(media.sessionID)::uuid, \(result.status.rawValue),
                        \(result.birdCount.map(Int32.init)), \(result.birdsJSON), \(result.averageWeightKg), \(result.modelVersion),
                        \(result.calibrated), \(result.reason), \(result.durationMs), \(time.millisecondsSinceEpoch),
                        \(result.singleBirdAreaPx))
                ON CONFLICT (media_id) DO NOTHING
                """, logger: logger)
            try await connection.query("""
                INSERT INTO sync_outbox (tenant_id, event_id, event_type, occurred_at, created_at, body)
                VALUES (\(event.tenantID), \(event.eventID)::uuid, \(event.eventType), \(event.occurredAt.millisecondsSinceEpoch),
                        \(time.millisecondsSinceEpoch), \(event.body))
                """, logger: logger)
            return true
        }
    }

    func release(_ job: InferenceJob, owner: String, error: String, retryAt: Timestamp) async throws {
        try await backend.query("""
            UPDATE inference_jobs SET status = 'pending', lease_owner = NULL, lease_until = \(retryAt.millisecondsSinceEpoch),
                last_error = \(String(error.prefix(500))), updated_at = \(Timestamp.now().millisecondsSinceEpoch)
            WHERE media_id = \(job.media.mediaID)::uuid AND status = 'running' AND lease_owner = \(owner)
            """, "release inference job")
    }

    func backlog() async throws -> (waiting: Int, oldestCreatedAt: Timestamp?) {
        let rows = try await backend.query("SELECT count(*), min(created_at) FROM inference_jobs WHERE status <> 'done'", "inference backlog")
        do {
            for try await (count, oldest) in rows.decode((Int64, Int64?).self) {
                return (Int(count), oldest.map(Timestamp.init(millisecondsSinceEpoch:)))
            }
        } catch {
            throw PostgresErrors.map(error, "inference backlog")
        }
        return (0, nil)
    }

    func sessionResults(tenantID: String, sessionID: String) async throws -> (counts: [Int], averageWeightKg: Double?, modelVersion: String?, calibrated: Bool?) {
        let rows = try await backend.query("""
            SELECT bird_count, avg_weight_kg, model_version, calibrated FROM inference_results
            WHERE tenant_id = \(tenantID) AND session_id = \(sessionID)::uuid AND status = 'completed' ORDER BY created_at
            """, "session inference results")
        var images: [(count: Int, weightKg: Double?)] = []
        var version: String?, calibrated: Bool?
        do {
            for try await (count, weight, model, calibration) in rows.decode((Int32?, Double?, String?, Bool?).self) {
                if let count { images.append((Int(count), weight)) }
                version = model
                calibrated = calibration
            }
        } catch {
            throw PostgresErrors.map(error, "session inference results")
        }
        return (images.map(\.count), SessionImages.perAnimalEstimate(images), version, calibrated)
    }
}
