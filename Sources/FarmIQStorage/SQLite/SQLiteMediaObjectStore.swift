import FarmIQCore
import FarmIQSQLite

/// ``MediaObjectStore`` on SQLite.
struct SQLiteMediaObjectStore: MediaObjectStore {
    let backend: SQLiteBackend

    static let columns = """
        media_id, tenant_id, farm_id, barn_id, device_id, event_id, session_id, captured_at, path, sha256, size_bytes,
        width, height, created_at, uploaded_at, evicted_at
        """

    func insert(_ object: MediaObject) async throws -> MediaInsertOutcome {
        try await backend.write { connection in
            try connection.transaction {
                let existing = try connection.statement("SELECT \(Self.columns) FROM media_objects WHERE tenant_id = ?1 AND event_id = ?2")
                defer { existing.reset() }
                existing.bind(1, object.address.tenantID)
                existing.bind(2, object.eventID)
                if try existing.step(), let stored = Self.decode(existing) { return .existing(stored) }
                let taken = try connection.statement("SELECT 1 FROM media_objects WHERE path = ?1")
                defer { taken.reset() }
                taken.bind(1, object.path.relative)
                if try taken.step() { throw EdgeError(.conflict, "media path \(object.path) is already taken") }
                let insert = try connection.statement("""
                    INSERT INTO media_objects (media_id, tenant_id, farm_id, barn_id, device_id, event_id, session_id, captured_at,
                        path, sha256, size_bytes, width, height, created_at)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
                    """)
                defer { insert.reset() }
                insert.bind(1, object.mediaID)
                insert.bind(2, object.address.tenantID)
                insert.bind(3, object.address.farmID)
                insert.bind(4, object.address.barnID)
                insert.bind(5, object.address.deviceID)
                insert.bind(6, object.eventID)
                insert.bind(7, object.sessionID)
                insert.bind(8, object.capturedAt.millisecondsSinceEpoch)
                insert.bind(9, object.path.relative)
                insert.bind(10, object.sha256)
                insert.bind(11, object.sizeBytes)
                insert.bind(12, object.width)
                insert.bind(13, object.height)
                insert.bind(14, object.createdAt.millisecondsSinceEpoch)
                try insert.run()
                let job = try connection.statement("""
                    INSERT INTO inference_jobs (media_id, tenant_id, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)
                    """)
                defer { job.reset() }
                job.bind(1, object.mediaID)
                job.bind(2, object.address.tenantID)
                job.bind(3, object.createdAt.millisecondsSinceEpoch)
                try job.run()
                return .inserted
            }
        }
    }

    func object(tenantID: String, eventID: String) async throws -> MediaObject? {
        try await backend.read { connection in
            let statement = try connection.statement("SELECT \(Self.columns) FROM media_objects WHERE tenant_id = ?1 AND event_id = ?2")
            defer { statement.reset() }
            statement.bind(1, tenantID)
            statement.bind(2, eventID)
            return try statement.step() ? Self.decode(statement) : nil
        }
    }

    func object(mediaID: String) async throws -> MediaObject? {
        try await backend.read { connection in
            let statement = try connection.statement("SELECT \(Self.columns) FROM media_objects WHERE media_id = ?1")
            defer { statement.reset() }
            statement.bind(1, mediaID)
            return try statement.step() ? Self.decode(statement) : nil
        }
    }

    func pendingUpload(limit: Int, excluding: Set<String>) async throws -> [MediaObject] {
        try await backend.read { connection in
            let statement = try connection.statement("""
                SELECT \(Self.columns) FROM media_objects WHERE uploaded_at IS NULL ORDER BY created_at, media_id LIMIT ?1
                """)
            defer { statement.reset() }
            statement.bind(1, limit + excluding.count)
            var objects: [MediaObject] = []
            while objects.count < limit, try statement.step() {
                if let object = Self.decode(statement), !excluding.contains(object.mediaID) { objects.append(object) }
            }
            return objects
        }
    }

    func markUploaded(mediaID: String, event: OutboxEvent, at time: Timestamp) async throws -> Bool {
        try await backend.write { connection in
            try connection.transaction {
                let update = try connection.statement("UPDATE media_objects SET uploaded_at = ?2 WHERE media_id = ?1 AND uploaded_at IS NULL")
                defer { update.reset() }
                update.bind(1, mediaID)
                update.bind(2, time.millisecondsSinceEpoch)
                try update.run()
                guard connection.changes > 0 else { return false }
                try SQLiteOutboxWriter(connection: connection, createdAt: time).insert(event)
                return true
            }
        }
    }

    func evictable(limit: Int) async throws -> [MediaObject] {
        try await backend.read { connection in
            let statement = try connection.statement("""
                SELECT \(Self.columns) FROM media_objects WHERE uploaded_at IS NOT NULL AND evicted_at IS NULL
                ORDER BY captured_at, media_id LIMIT ?1
                """)
            defer { statement.reset() }
            statement.bind(1, limit)
            var objects: [MediaObject] = []
            while try statement.step() { if let object = Self.decode(statement) { objects.append(object) } }
            return objects
        }
    }

    func markEvicted(mediaID: String, at time: Timestamp) async throws -> Bool {
        try await backend.write { connection in
            let statement = try connection.statement("""
                UPDATE media_objects SET evicted_at = ?2 WHERE media_id = ?1 AND uploaded_at IS NOT NULL AND evicted_at IS NULL
                """)
            defer { statement.reset() }
            statement.bind(1, mediaID)
            statement.bind(2, time.millisecondsSinceEpoch)
            try statement.run()
            return connection.changes > 0
        }
    }

    func existingPaths(_ paths: [String]) async throws -> Set<String> {
        guard !paths.isEmpty else { return [] }
        return try await backend.read { connection in
            let statement = try connection.statement("SELECT 1 FROM media_objects WHERE path = ?1")
            defer { statement.reset() }
            var found: Set<String> = []
            for path in paths {
                statement.reset()
                statement.bind(1, path)
                if try statement.step() { found.insert(path) }
            }
            return found
        }
    }

    func backlog() async throws -> MediaBacklog {
        try await backend.read { connection in
            let statement = try connection.statement("""
                SELECT count(*) FILTER (WHERE uploaded_at IS NULL), coalesce(sum(size_bytes) FILTER (WHERE uploaded_at IS NULL), 0),
                       min(created_at) FILTER (WHERE uploaded_at IS NULL), count(*) FILTER (WHERE evicted_at IS NULL),
                       count(*) FILTER (WHERE evicted_at IS NOT NULL)
                FROM media_objects
                """)
            defer { statement.reset() }
            _ = try statement.step()
            return MediaBacklog(
                pending: statement.int(0), pendingBytes: statement.int64(1),
                oldestPendingCreatedAt: statement.isNull(2) ? nil : Timestamp(millisecondsSinceEpoch: statement.int64(2)),
                onDisk: statement.int(3), evicted: statement.int(4))
        }
    }

    func imageCount(tenantID: String, sessionID: String) async throws -> Int {
        try await backend.read { connection in
            let statement = try connection.statement("SELECT count(*) FROM media_objects WHERE tenant_id = ?1 AND session_id = ?2")
            defer { statement.reset() }
            statement.bind(1, tenantID)
            statement.bind(2, sessionID)
            _ = try statement.step()
            return statement.int(0)
        }
    }

    func images(tenantID: String, sessionID: String) async throws -> [MediaObject] {
        try await backend.read { connection in
            let statement = try connection.statement("""
                SELECT \(Self.columns) FROM media_objects WHERE tenant_id = ?1 AND session_id = ?2 ORDER BY captured_at, media_id LIMIT 1000
                """)
            defer { statement.reset() }
            statement.bind(1, tenantID)
            statement.bind(2, sessionID)
            var objects: [MediaObject] = []
            while try statement.step() { if let object = Self.decode(statement) { objects.append(object) } }
            return objects
        }
    }

    static func decode(_ s: SQLiteStatement) -> MediaObject? {
        guard let address = DeviceAddress(tenantID: s.string(1), farmID: s.string(2), barnID: s.string(3), deviceID: s.string(4)),
            let path = MediaPath(stored: s.string(8))
        else { return nil }
        return MediaObject(
            mediaID: s.string(0), address: address, eventID: s.string(5), sessionID: s.optionalString(6),
            capturedAt: Timestamp(millisecondsSinceEpoch: s.int64(7)), path: path, sha256: s.string(9), sizeBytes: s.int64(10),
            width: s.int(11), height: s.int(12), createdAt: Timestamp(millisecondsSinceEpoch: s.int64(13)),
            uploadedAt: s.isNull(14) ? nil : Timestamp(millisecondsSinceEpoch: s.int64(14)),
            evictedAt: s.isNull(15) ? nil : Timestamp(millisecondsSinceEpoch: s.int64(15)))
    }
}
