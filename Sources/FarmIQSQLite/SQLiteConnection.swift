import CSQLite
import FarmIQCore

/// A thin wrapper of one `sqlite3` connection with a prepared-statement cache: the one SQLite access layer of
/// the edge's stores (`FarmIQStorage`) and of `cloud-sim`'s store.
///
/// Not thread-safe: a connection is used by one thread at a time (the writer's single thread, or a
/// reader checked out by one job, or a connection behind a lock), which is what `@unchecked Sendable` relies on.
/// Opened with `SQLITE_OPEN_NOMUTEX` for that reason.
///
/// Why not GRDB: measured on the ingest hot path (README, "Why our own SQLite wrapper").
public final class SQLiteConnection: @unchecked Sendable {
    private var handle: OpaquePointer?
    private var statements: [String: SQLiteStatement] = [:]
    /// The database file.
    public let path: String

    /// Opens the database file (read-only, or read-write and created when missing), then runs `pragmas` in order.
    ///
    /// - Parameters:
    ///   - busyTimeoutMilliseconds: how long a statement waits for another connection's lock before `SQLITE_BUSY`.
    ///   - pragmas: statements such as `PRAGMA journal_mode = WAL`, each run with ``execute(_:)``.
    /// - Throws: `EdgeError` `.databaseUnavailable` when the file cannot be opened; any error of a pragma.
    public init(path: String, readOnly: Bool, busyTimeoutMilliseconds: Int32 = 5000, pragmas: [String]) throws(EdgeError) {
        self.path = path
        _ = SQLiteConnection.processSettings
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_NOMUTEX
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            throw EdgeError(.databaseUnavailable, "cannot open SQLite database at \(path): \(message)")
        }
        self.handle = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
        do {
            for pragma in pragmas { try execute(pragma) }
        } catch {
            close()
            throw error
        }
    }

    deinit {
        close()
    }

    /// SQLite's process-wide settings, applied once before the first connection opens: memory statistics off
    /// (they put a global mutex around every allocation SQLite makes; measured on the ingest path).
    private static let processSettings: Void = {
        _ = farmiq_sqlite3_disable_memstatus()
    }()

    /// Finalizes the cached statements and closes the connection. Idempotent.
    public func close() {
        statements.removeAll()
        if let handle {
            sqlite3_close_v2(handle)
            self.handle = nil
        }
    }

    /// Runs SQL without parameters (one or more statements).
    ///
    /// - Throws: `EdgeError` classified by ``error(code:_:)``.
    public func execute(_ sql: String) throws(EdgeError) {
        guard let handle else { throw EdgeError(.databaseUnavailable, "SQLite connection is closed") }
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(message)
            throw SQLiteConnection.error(code: rc, "\(text)")
        }
    }

    /// A cached prepared statement, reset and with its bindings cleared. Valid until ``close()``.
    ///
    /// - Throws: `EdgeError` when the SQL does not compile or the connection is closed.
    public func statement(_ sql: String) throws(EdgeError) -> SQLiteStatement {
        if let cached = statements[sql] {
            cached.reset()
            return cached
        }
        guard let handle else { throw EdgeError(.databaseUnavailable, "SQLite connection is closed") }
        var pointer: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &pointer, nil)
        guard rc == SQLITE_OK, let pointer else {
            throw error(rc, "cannot prepare statement")
        }
        let statement = SQLiteStatement(handle: pointer, connection: self)
        statements[sql] = statement
        return statement
    }

    /// Runs `body` in a transaction (`BEGIN IMMEDIATE` for writes: the write lock is taken up front so the
    /// transaction never fails halfway on a lock upgrade). Rolls back when `body` throws.
    public func transaction<T>(immediate: Bool = true, _ body: () throws -> T) throws -> T {
        try execute(immediate ? "BEGIN IMMEDIATE" : "BEGIN")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// The rowid of the last row inserted on this connection.
    public var lastInsertRowID: Int64 {
        handle.map { sqlite3_last_insert_rowid($0) } ?? 0
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE on this connection.
    public var changes: Int {
        handle.map { Int(sqlite3_changes($0)) } ?? 0
    }

    /// An ``FarmIQCore/EdgeError`` for a failed call, with SQLite's message.
    public func error(_ code: Int32, _ context: String) -> EdgeError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "connection closed"
        return SQLiteConnection.error(code: code, "\(context): \(message)")
    }

    // The extended codes are function-like macros that Swift does not import.
    /// `SQLITE_CONSTRAINT_PRIMARYKEY`.
    public static let constraintPrimaryKey: Int32 = SQLITE_CONSTRAINT | (6 << 8)
    /// `SQLITE_CONSTRAINT_UNIQUE`.
    public static let constraintUnique: Int32 = SQLITE_CONSTRAINT | (8 << 8)

    /// Classifies an SQLite result code: busy/locked/cannot open → `.databaseUnavailable`, full → `.diskFull`,
    /// a primary-key or unique violation → `.writeConflict`, other constraints, type mismatch, too big →
    /// `.dataRejected` (this data, not the database), anything else → `.databaseError`.
    public static func error(code: Int32, _ message: String) -> EdgeError {
        let primary = code & 0xFF
        let text = "SQLite error \(code): \(message)"
        switch primary {
        case SQLITE_BUSY, SQLITE_LOCKED, SQLITE_CANTOPEN:
            return EdgeError(.databaseUnavailable, text)
        case SQLITE_FULL:
            return EdgeError(.diskFull, text)
        case SQLITE_CONSTRAINT where code == SQLiteConnection.constraintPrimaryKey || code == SQLiteConnection.constraintUnique:
            return EdgeError(.writeConflict, text)
        case SQLITE_CONSTRAINT, SQLITE_MISMATCH, SQLITE_TOOBIG:
            // NOT NULL, CHECK, a value of the wrong type or too large: this data, not the database.
            return EdgeError(.dataRejected, text)
        default:
            return EdgeError(.databaseError, text)
        }
    }
}
