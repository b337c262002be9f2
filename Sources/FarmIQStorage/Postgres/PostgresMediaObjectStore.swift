import FarmIQCore
import Logging
import NIOCore
import PostgresNIO

/// ``MediaObjectStore`` on PostgreSQL. The insert relies on the `(tenant_id, event_id)` unique key
/// (`ON CONFLICT DO NOTHING`), so concurrent uploads of one key from several processes store one row.
struct PostgresMediaObjectStore: MediaObjectStore {
    let backend: PostgresBackend
    var logger: Logger { backend.logger }

    static let columns = """
        media_id::text, tenant_id, farm_id, barn_id, device_id, event_id::text, session_id::text, captured_at, path, sha256,
        size_bytes, width, height, created_at, uploaded_at, evicted_at
        """

    func insert(_ object: MediaObject) async throws -> MediaInsertOutcome {
        let logger = self.logger
        return try await backend.transaction("store media object") { connection in
            var existing: MediaObject?
            for try await row in try await connection.query("""
                SELECT \(unescaped: Self.columns) FROM media_objects
                WHERE tenant_id = \(object.address.tenantID) AND event_id = \(object.eventID)::uuid
                """, logger: logger) {
                existing = try Self.decode(row)
            }
            if let existing { return .existing(existing) }
            for try await _ in try await connection.query(
                "SELECT 1 FROM media_objects WHERE path = \(object.path.relative)", logger: logger) {
                throw EdgeError(.conflict, "media path \(object.path) is already taken")
            }
            var inserted = false
            for try await _ in try await connection.query("""
                INSERT INTO media_objects (media_id, tenant_id, farm_id, barn_id, device_id, event_id, session_id, captured_at,
                    path, sha256, size_bytes, width, height, created_at)
                VALUES (\(object.mediaID)::uuid, \(object.address.tenantID), \(object.address.farmID), \(object.address.barnID),
                        \(object.address.deviceID), \(object.eventID)::uuid, \(object.sessionID)::uuid, \(object.capturedAt.millisecondsSinceEpoch),
                        \(object.path.relative), \(object.sha256), \(object.sizeBytes), \(Int32(object.width)), \(Int32(object.height)),
                        \(object.createdAt.millisecondsSinceEpoch))
                ON CONFLICT (tenant_id, event_id) DO NOTHING RETURNING 1
                """, logger: logger) {
                inserted = true
            }
            guard inserted else {
                // Another process stored the same key since the SELECT: answer with its row.
                for try await row in try await connection.query("""
                    SELECT \(unescaped: Self.columns) FROM media_objects
                    WHERE tenant_id = \(object.address.tenantID) AND event_id = \(object.eventID)::uuid
                    """, logger: logger) {
                    existing = try Self.decode(row)
                }
                guard let existing else { throw EdgeError(.writeConflict, "store media object: the key vanished while stored") }
                return .existing(existing)
            }
            try await connection.query("""
                INSERT INTO inference_jobs (media_id, tenant_id, created_at, updated_at)
                VALUES (\(object.mediaID)::uuid, \(object.address.tenantID), \(object.createdAt.millisecondsSinceEpoch), \(object.createdAt.millisecondsSinceEpoch))
                """, logger: logger)
            return .inserted
        }
    }

    func object(tenantID: String, eventID: String) async throws -> MediaObject? {
        try await objects("""
            SELECT \(unescaped: Self.columns) FROM media_objects WHERE tenant_id = \(tenantID) AND event_id = \(eventID)::uuid
            """, "media object by event").first
    }

    func object(mediaID: String) async throws -> MediaObject? {
        try await objects("SELECT \(unescaped: Self.columns) FROM media_objects WHERE media_id = \(mediaID)::uuid", "media object").first
    }

    func pendingUpload(limit: Int, excluding: Set<String>) async throws -> [MediaObject] {
        try await objects("""
            SELECT \(unescaped: Self.columns) FROM media_objects
            WHERE uploaded_at IS NULL AND NOT (media_id = ANY(\(Array(excluding))::uuid[]))
            ORDER BY created_at, media_id LIMIT \(limit)
            """, "media pending upload")
    }

    func markUploaded(mediaID: String, event: OutboxEvent, at time: Timestamp) async throws -> Bool {
        let logger = self.logger
        return try await backend.transaction("mark media uploaded") { connection in
            var updated = false
            for try await _ in try await connection.query("""
                UPDATE media_objects SET uploaded_at = \(time.millisecondsSinceEpoch)
                WHERE media_id = \(mediaID)::uuid AND uploaded_at IS NULL RETURNING 1
                """, logger: logger) {
                updated = true
            }
            guard updated else { return false }
            try await connection.query("""
                INSERT INTO sync_outbox (tenant_id, event_id, event_type, occurred_at, created_at, body)
                VALUES (\(event.tenantID), \(event.eventID)::uuid, \(event.eventType), \(event.occurredAt.millisecondsSinceEpoch),
                        \(time.millisecondsSinceEpoch), \(event.body))
                """, logger: logger)
            return true
        }
    }

    func evictable(limit: Int) async throws -> [MediaObject] {
        try await objects("""
            SELECT \(unescaped: Self.columns) FROM media_objects WHERE uploaded_at IS NOT NULL AND evicted_at IS NULL
            ORDER BY captured_at, media_id LIMIT \(limit)
            """, "evictable media")
    }

    func markEvicted(mediaID: String, at time: Timestamp) async throws -> Bool {
        let rows = try await backend.query("""
            UPDATE media_objects SET evicted_at = \(time.millisecondsSinceEpoch)
            WHERE media_id = \(mediaID)::uuid AND uploaded_at IS NOT NULL AND evicted_at IS NULL RETURNING 1
            """, "mark media evicted")
        return !rows.rows.isEmpty
    }

    func existingPaths(_ paths: [String]) async throws -> Set<String> {
        guard !paths.isEmpty else { return [] }
        let rows = try await backend.query("SELECT path FROM media_objects WHERE path = ANY(\(paths)::text[])", "media paths")
        var found: Set<String> = []
        do {
            for try await path in rows.decode(String.self) { found.insert(path) }
        } catch {
            throw PostgresErrors.map(error, "media paths")
        }
        return found
    }

    func backlog() async throws -> MediaBacklog {
        let rows = try await backend.query("""
            SELECT count(*) FILTER (WHERE uploaded_at IS NULL), coalesce(sum(size_bytes) FILTER (WHERE uploaded_at IS NULL), 0)::int8,
                   min(created_at) FILTER (WHERE uploaded_at IS NULL), count(*) FILTER (WHERE evicted_at IS NULL),
                   count(*) FILTER (WHERE evicted_at IS NOT NULL)
            FROM media_objects
            """, "media backlog")
        do {
            for try await (pending, bytes, oldest, onDisk, evicted) in rows.decode((Int64, Int64, Int64?, Int64, Int64).self) {
                return MediaBacklog(
                    pending: Int(pending), pendingBytes: bytes, oldestPendingCreatedAt: oldest.map(Timestamp.init(millisecondsSinceEpoch:)),
                    onDisk: Int(onDisk), evicted: Int(evicted))
            }
        } catch {
            throw PostgresErrors.map(error, "media backlog")
        }
        return MediaBacklog(pending: 0, pendingBytes: 0, oldestPendingCreatedAt: nil, onDisk: 0, evicted: 0)
    }

    func imageCount(tenantID: String, sessionID: String) async throws -> Int {
        try await backend.query("""
            SELECT count(*) FROM media_objects WHERE tenant_id = \(tenantID) AND session_id = \(sessionID)::uuid
            """, "session image count").integer("session image count")
    }

    func images(tenantID: String, sessionID: String) async throws -> [MediaObject] {
        try await objects("""
            SELECT \(unescaped: Self.columns) FROM media_objects WHERE tenant_id = \(tenantID) AND session_id = \(sessionID)::uuid
            ORDER BY captured_at, media_id LIMIT 1000
            """, "session images")
    }

    private func objects(_ query: PostgresQuery, _ operation: String) async throws -> [MediaObject] {
        let rows = try await backend.query(query, operation)
        var objects: [MediaObject] = []
        do {
            for row in rows.rows { if let object = try Self.decode(row) { objects.append(object) } }
        } catch {
            throw PostgresErrors.map(error, operation)
        }
        return objects
    }

    static func decode(_ row: PostgresRow) throws -> MediaObject? {
        let (mediaID, tenant, farm, barn, device, eventID, sessionID, captured, path, sha, size, width, height, created, uploaded, evicted) =
            try row.decode((String, String, String, String, String, String, String?, Int64, String, String, Int64, Int32, Int32, Int64, Int64?, Int64?).self)
        guard let address = DeviceAddress(tenantID: tenant, farmID: farm, barnID: barn, deviceID: device), let path = MediaPath(stored: path) else {
            return nil
        }
        return MediaObject(
            mediaID: mediaID, address: address, eventID: eventID, sessionID: sessionID, capturedAt: Timestamp(millisecondsSinceEpoch: captured),
            path: path, sha256: sha, sizeBytes: size, width: Int(width), height: Int(height), createdAt: Timestamp(millisecondsSinceEpoch: created),
            uploadedAt: uploaded.map(Timestamp.init(millisecondsSinceEpoch:)), evictedAt: evicted.map(Timestamp.init(millisecondsSinceEpoch:)))
    }
}
