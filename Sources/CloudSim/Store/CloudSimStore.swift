import FarmIQCore
import FarmIQSQLite
import NIOConcurrencyHelpers
import NIOPosix

/// cloud-sim's durable state in `{data}/cloud-sim.sqlite`: the dedupe set of `(tenant_id, event_id)` with how
/// often each was received, persistent counters, and the media index. Survives restarts.
///
/// One connection behind a lock; calls run on the NIO blocking thread pool, never on the cooperative pool.
final class CloudSimStore: @unchecked Sendable {
    private let database: NIOLockedValueBox<SQLiteConnection?>
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
        // WAL, synchronous=NORMAL: a commit survives a crash of this process (it is in the WAL), which is what
        // a restart of the test peer needs.
        let database = try SQLiteConnection(path: path, readOnly: false, pragmas: [
            "PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA cache_size = -32768",
        ])
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

    private func withDatabase<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
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
        try await withDatabase { database in
            try database.transaction { () throws -> [Bool] in
                var fresh: [Bool] = []
                fresh.reserveCapacity(events.count)
                var accepted = 0
                var redelivered = 0
                var early = 0
                for event in events {
                    if let mediaID = event.mediaID {
                        let known = try database.statement("SELECT 1 FROM media WHERE tenant_id = ?1 AND media_id = ?2")
                        known.bind(1, event.tenantID)
                        known.bind(2, mediaID)
                        if try !known.step() { early += 1 }
                        known.reset()
                    }
                    let insert = try database.statement("""
                        INSERT INTO events (tenant_id, event_id, event_type, batch_id, first_received_ms) VALUES (?1, ?2, ?3, ?4, ?5)
                        ON CONFLICT (tenant_id, event_id) DO UPDATE SET receive_count = receive_count + 1
                        RETURNING receive_count
                        """)
                    insert.bind(1, event.tenantID)
                    insert.bind(2, event.eventID)
                    insert.bind(3, event.eventType)
                    insert.bind(4, batchID)
                    insert.bind(5, now.millisecondsSinceEpoch)
                    let count = try insert.step() ? insert.int64(0) : 0
                    try insert.run()
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
        try await withDatabase { database in
            let row = try database.statement("SELECT event_type, batch_id, receive_count FROM events WHERE tenant_id = ?1 AND event_id = ?2")
            row.bind(1, tenantID)
            row.bind(2, eventID)
            defer { row.reset() }
            guard try row.step() else { return nil }
            return EventRecord(eventType: row.string(0), batchID: row.string(1), receiveCount: row.int(2))
        }
    }

    /// All persistent counters (missing ones are 0).
    func counters() async throws -> [Counter: Int] {
        try await withDatabase { database in
            var values: [Counter: Int] = [:]
            for counter in Counter.allCases { values[counter] = 0 }
            let row = try database.statement("SELECT name, value FROM counters")
            defer { row.reset() }
            while try row.step() {
                if let counter = Counter(rawValue: row.string(0)) { values[counter] = row.int(1) }
            }
            return values
        }
    }

    /// The number of distinct `(tenant_id, event_id)` stored (a full count; for tests and the admin API).
    func uniqueEventCount() async throws -> Int {
        try await withDatabase { database in
            let row = try database.statement("SELECT count(*) FROM events")
            defer { row.reset() }
            return try row.step() ? row.int(0) : 0
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
                let row = try database.statement("SELECT sha256, size FROM media WHERE tenant_id = ?1 AND media_id = ?2")
                row.bind(1, tenantID)
                row.bind(2, mediaID)
                let existing = try row.step() ? MediaRecord(sha256: row.string(0), size: row.int(1)) : nil
                row.reset()
                let (insert, duplicate, result) = try body(existing)
                if let insert {
                    try database.transaction {
                        let statement = try database.statement(
                            "INSERT INTO media (tenant_id, media_id, sha256, size, stored_ms) VALUES (?1, ?2, ?3, ?4, ?5)")
                        statement.bind(1, tenantID)
                        statement.bind(2, mediaID)
                        statement.bind(3, insert.sha256)
                        statement.bind(4, insert.size)
                        statement.bind(5, now.millisecondsSinceEpoch)
                        try statement.run()
                        try CloudSimStore.add(database, [(.mediaStored, 1)])
                    }
                } else if duplicate {
                    try database.transaction { try CloudSimStore.add(database, [(.mediaDuplicate, 1)]) }
                }
                return result
            }
        }
    }

    private static func add(_ database: SQLiteConnection, _ deltas: [(Counter, Int)]) throws(EdgeError) {
        for (counter, delta) in deltas where delta != 0 {
            let statement = try database.statement(
                "INSERT INTO counters (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value")
            statement.bind(1, counter.rawValue)
            statement.bind(2, delta)
            try statement.run()
        }
    }
}
