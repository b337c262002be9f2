import CSQLite
import FarmIQCore

/// A minimal wrapper of one `sqlite3` connection with cached prepared statements, for cloud-sim's own store.
///
/// Not thread-safe: ``CloudSimStore`` confines it behind a lock, which `@unchecked Sendable` relies on.
final class SQLiteDatabase: @unchecked Sendable {
    private var handle: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]

    /// Opens (creating) the file in WAL mode. `synchronous=NORMAL`: a commit survives a crash of this
    /// process (it is in the WAL), which is what a restart of the test peer needs.
    init(path: String) throws(EdgeError) {
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            throw EdgeError(.databaseUnavailable, "cannot open cloud-sim store at \(path): \(message)")
        }
        handle = db
        sqlite3_busy_timeout(db, 5000)
        do {
            try execute("PRAGMA journal_mode = WAL")
            try execute("PRAGMA synchronous = NORMAL")
            try execute("PRAGMA cache_size = -32768")
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    func close() {
        for statement in statements.values { sqlite3_finalize(statement) }
        statements.removeAll()
        if let handle {
            sqlite3_close_v2(handle)
            self.handle = nil
        }
    }

    func execute(_ sql: String) throws(EdgeError) {
        guard let handle else { throw EdgeError(.databaseUnavailable, "cloud-sim store is closed") }
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        guard rc == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(message)
            throw EdgeError(.databaseError, "SQLite error \(rc): \(text)")
        }
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction; rolls back if it throws.
    func transaction<T>(_ body: () throws(EdgeError) -> T) throws(EdgeError) -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Runs a cached statement with `bindings`, calling `row` for each result row.
    func query(_ sql: String, _ bindings: [SQLiteValue] = [], row: (Row) throws(EdgeError) -> Void = { _ in }) throws(EdgeError) {
        let statement = try prepare(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (offset, value) in bindings.enumerated() {
            let index = Int32(offset + 1)
            switch value {
            case .integer(let number): sqlite3_bind_int64(statement, index, number)
            case .text(let text):
                var text = text
                text.withUTF8 { buffer in
                    let base = buffer.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(bitPattern: 1)!
                    sqlite3_bind_text(statement, index, base.assumingMemoryBound(to: CChar.self), Int32(buffer.count), SQLiteDatabase.transient)
                }
            }
        }
        while true {
            let rc = sqlite3_step(statement)
            switch rc {
            case SQLITE_ROW: try row(Row(statement: statement))
            case SQLITE_DONE: return
            default: throw error(rc, "statement failed")
            }
        }
    }

    private func prepare(_ sql: String) throws(EdgeError) -> OpaquePointer {
        if let cached = statements[sql] { return cached }
        guard let handle else { throw EdgeError(.databaseUnavailable, "cloud-sim store is closed") }
        var pointer: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &pointer, nil)
        guard rc == SQLITE_OK, let pointer else { throw error(rc, "cannot prepare statement") }
        statements[sql] = pointer
        return pointer
    }

    private func error(_ code: Int32, _ context: String) -> EdgeError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "connection closed"
        return EdgeError((code & 0xFF) == SQLITE_FULL ? .diskFull : .databaseError, "SQLite error \(code): \(context): \(message)")
    }

    /// `SQLITE_TRANSIENT` (the C macro is not imported).
    private static var transient: sqlite3_destructor_type {
        unsafeBitCast(-1 as Int, to: sqlite3_destructor_type.self)
    }

    /// A bound parameter.
    enum SQLiteValue {
        case integer(Int64)
        case text(String)
    }

    /// The current result row of a statement (columns 0-based).
    struct Row {
        let statement: OpaquePointer

        func int(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }

        func string(_ column: Int32) -> String {
            guard let pointer = sqlite3_column_text(statement, column) else { return "" }
            let count = Int(sqlite3_column_bytes(statement, column))
            return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
        }
    }
}
