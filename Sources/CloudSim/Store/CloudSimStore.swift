import FarmIQCore
import NIOConcurrencyHelpers
import NIOPosix

/// cloud-sim's durable state in `{data}/cloud-sim.sqlite`: the dedupe set of `(tenant_id, event_id)` with how
/// often each was received, persistent counters, and the media index. Survives restarts.
///
/// One connection behind a lock; calls run on the NIO blocking thread pool, never on the cooperative pool.
final class CloudSimStore: @unchecked Sendable {
    private let database: NIOLockedValueBox<SQLiteDatabase?>
    private let threadPool: NIOThreadPool

    /// Counter names kept in the `counters` table.
    enum Counter: String, CaseIterable, Sendable {
        case accepted, duplicate, rejected, batches
        /// Events received more than once (counted when the second copy arrives).
        case redeliveredEvents = "redelivered_events"
        case mediaStored = "media_stored"
        case mediaDuplicate = "media_duplicate"
        /// `media.stored` events that arrived before the bytes they announce (`contracts.md` §4 forbids it).
        case mediaEventBeforeBytes = "media_event_before_bytes"
    }

    struct EventRecord: Sendable, Equatable {
        let eventType: String
        let batchID: String
        let receiveCount: Int
    }

    struct MediaRecord: Sendable, Equatable {
        let sha256: String
        let size: Int
    }

    init(path: String, threadPool: NIOThreadPool = .singleton) throws(EdgeError) {
        let database = try SQLiteDatabase(path: path)
        try database.execute("""
            CREATE TABLE IF NOT EXISTS events (
                tenant_id TEXT NOT NULL, event_id TEXT NOT NULL, event_type TEXT NOT NULL, batch_id TEXT NOT NULL,
                first_received_ms INTEGER NOT NULL, receive_count INTEGER NOT NULL DEFAULT 1,
                PRIMARY KEY (tenant_id, event_id)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS media (
                tenant_id TEXT NOT NULL, media_id TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
                stored_ms INTEGER NOT NULL, PRIMARY KEY (tenant_id, media_id)) WITHOUT ROWID;
            """)
        self.database = NIOLockedValueBox(database)
        self.threadPool = threadPool
    }

    /// Closes the connection; later calls fail with `databaseUnavailable`.
    func close() {
        database.withLockedValue { database in
            database?.close()
            database = nil
        }
    }

    private func withDatabase<T: Sendable>(_ body: @escaping @Sendable (SQLiteDatabase) throws(EdgeError) -> T) async throws -> T {
        try await threadPool.runIfActive { [database] in
            try database.withLockedValue { database in
                guard let database else { throw EdgeError(.databaseUnavailable, "cloud-sim store is closed") }
                return try body(database)
            }
        }
    }

    /// Records the valid events of one batch in one transaction and returns, for each, whether it was new.
    /// A key repeated inside the batch is new the first time and a duplicate after.
    func record(events: [EventBatch.Event], batchID: String, rejected: Int, now: Timestamp) async throws -> [Bool] {
        try await withDatabase { database throws(EdgeError) in
            try database.transaction { () throws(EdgeError) -> [Bool] in
                var fresh: [Bool] = []
                fresh.reserveCapacity(events.count)
                var accepted = 0
                var redelivered = 0
                var early = 0
                for event in events {
                    if let mediaID = event.mediaID {
                        var known = false
                        try database.query(
                            "SELECT 1 FROM media WHERE tenant_id = ? AND media_id = ?", [.text(event.tenantID), .text(mediaID)]
                        ) { _ in known = true }
                        if !known { early += 1 }
                    }
                    var count: Int64 = 0
                    try database.query(
                        """
                        INSERT INTO events (tenant_id, event_id, event_type, batch_id, first_received_ms) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (tenant_id, event_id) DO UPDATE SET receive_count = receive_count + 1
                        RETURNING receive_count
                        """,
                        [.text(event.tenantID), .text(event.eventID), .text(event.eventType), .text(batchID), .integer(now.millisecondsSinceEpoch)]
                    ) { row in count = row.int(0) }
                    fresh.append(count == 1)
                    if count == 1 { accepted += 1 }
                    if count == 2 { redelivered += 1 }
                }
                try CloudSimStore.add(database, [
                    (.accepted, accepted), (.duplicate, events.count - accepted), (.rejected, rejected),
                    (.batches, 1), (.redeliveredEvents, redelivered), (.mediaEventBeforeBytes, early),
                ])
                return fresh
            }
        }
    }

    /// The stored event, if any.
    func event(tenantID: String, eventID: String) async throws -> EventRecord? {
        try await withDatabase { database throws(EdgeError) in
            var record: EventRecord?
            try database.query(
                "SELECT event_type, batch_id, receive_count FROM events WHERE tenant_id = ? AND event_id = ?",
                [.text(tenantID), .text(eventID)]
            ) { row in record = EventRecord(eventType: row.string(0), batchID: row.string(1), receiveCount: Int(row.int(2))) }
            return record
        }
    }

    /// All persistent counters (missing ones are 0).
    func counters() async throws -> [Counter: Int] {
        try await withDatabase { database throws(EdgeError) in
            var values: [Counter: Int] = [:]
            for counter in Counter.allCases { values[counter] = 0 }
            try database.query("SELECT name, value FROM counters") { row in
                if let counter = Counter(rawValue: row.string(0)) { values[counter] = Int(row.int(1)) }
            }
            return values
        }
    }

    /// The number of distinct `(tenant_id, event_id)` stored (a full count; for tests and the admin API).
    func uniqueEventCount() async throws -> Int {
        try await withDatabase { database throws(EdgeError) in
            var count = 0
            try database.query("SELECT count(*) FROM events") { row in count = Int(row.int(0)) }
            return count
        }
    }

    /// Runs `body` with the media index: it gets the existing record, if any, and returns the record to
    /// insert (after writing the bytes) or nil, and whether to count a duplicate upload. Serialised with every other store call, so two uploads of
    /// one media id cannot interleave.
    func withMedia<T: Sendable>(
        tenantID: String, mediaID: String, now: Timestamp,
        _ body: @escaping @Sendable (MediaRecord?) throws -> (insert: MediaRecord?, duplicate: Bool, result: T)
    ) async throws -> T {
        try await threadPool.runIfActive { [database] in
            try database.withLockedValue { database in
                guard let database else { throw EdgeError(.databaseUnavailable, "cloud-sim store is closed") }
                var existing: MediaRecord?
                try database.query(
                    "SELECT sha256, size FROM media WHERE tenant_id = ? AND media_id = ?", [.text(tenantID), .text(mediaID)]
                ) { row in existing = MediaRecord(sha256: row.string(0), size: Int(row.int(1))) }
                let (insert, duplicate, result) = try body(existing)
                if let insert {
                    try database.transaction { () throws(EdgeError) in
                        try database.query(
                            "INSERT INTO media (tenant_id, media_id, sha256, size, stored_ms) VALUES (?, ?, ?, ?, ?)",
                            [.text(tenantID), .text(mediaID), .text(insert.sha256), .integer(Int64(insert.size)), .integer(now.millisecondsSinceEpoch)])
                        try CloudSimStore.add(database, [(.mediaStored, 1)])
                    }
                } else if duplicate {
                    try database.transaction { () throws(EdgeError) in try CloudSimStore.add(database, [(.mediaDuplicate, 1)]) }
                }
                return result
            }
        }
    }

    private static func add(_ database: SQLiteDatabase, _ deltas: [(Counter, Int)]) throws(EdgeError) {
        for (counter, delta) in deltas where delta != 0 {
            try database.query(
                "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
                [.text(counter.rawValue), .integer(Int64(delta))])
        }
    }
}
