import CSQLite
import FarmIQCore

/// A prepared statement of one ``SQLiteConnection``, confined to the thread using that connection.
public final class SQLiteStatement {
    /// The `sqlite3_stmt`.
    public let handle: OpaquePointer
    private unowned let connection: SQLiteConnection

    init(handle: OpaquePointer, connection: SQLiteConnection) {
        self.handle = handle
        self.connection = connection
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Makes the statement ready for new bindings (all cleared to NULL).
    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Makes the statement ready to run again, keeping the bound values: for a statement run once per row whose
    /// caller binds every parameter each time. SQLite then reuses each parameter's buffer for the next value
    /// instead of freeing it and allocating a new one (``reset()`` frees them): three allocations less per bound
    /// string on the ingest writer, where malloc and free were about 5% of the gateway's samples.
    public func resetKeepingBindings() {
        sqlite3_reset(handle)
    }

    // MARK: Binding (1-based; strings and blobs are copied)

    /// Binds a 64-bit integer to the 1-based parameter `index`.
    public func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
    }

    /// Binds an integer (as a 64-bit integer) to the 1-based parameter `index`.
    public func bind(_ index: Int32, _ value: Int) {
        sqlite3_bind_int64(handle, index, Int64(value))
    }

    /// Binds a double (REAL) to the 1-based parameter `index`.
    public func bind(_ index: Int32, _ value: Double) {
        sqlite3_bind_double(handle, index, value)
    }

    /// Binds UTF-8 text to the 1-based parameter `index`; an empty string binds `''`, not NULL.
    public func bind(_ index: Int32, _ value: String) {
        var value = value
        value.withUTF8 { buffer in
            // An empty buffer may have a nil base address; SQLite needs a non-null pointer for ''.
            let base = buffer.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(bitPattern: 1)!
            sqlite3_bind_text(handle, index, base.assumingMemoryBound(to: CChar.self), Int32(buffer.count), SQLiteStatement.transient)
        }
    }

    /// Binds text to the 1-based parameter `index`, or NULL for `nil`.
    public func bind(_ index: Int32, _ value: String?) {
        if let value { bind(index, value) } else { sqlite3_bind_null(handle, index) }
    }

    /// Binds the bytes as a BLOB to the 1-based parameter `index`; empty bytes bind a zero-length blob, not NULL.
    public func bind(_ index: Int32, blob: [UInt8]) {
        _ = blob.withUnsafeBytes { buffer in
            if let base = buffer.baseAddress, buffer.count > 0 {
                return sqlite3_bind_blob(handle, index, base, Int32(buffer.count), SQLiteStatement.transient)
            } else {
                return sqlite3_bind_zeroblob(handle, index, 0)
            }
        }
    }

    /// Binds NULL to the 1-based parameter `index`.
    public func bindNull(_ index: Int32) {
        sqlite3_bind_null(handle, index)
    }

    // MARK: Stepping

    /// Runs one step: `true` when a row is available.
    public func step() throws(EdgeError) -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.error(rc, "statement failed")
        }
    }

    /// Runs to completion, ignoring rows.
    public func run() throws(EdgeError) {
        while try step() {}
    }

    // MARK: Columns (0-based)

    /// The 0-based `column` of the current row (after ``step()`` returned `true`) as a 64-bit integer; 0 for NULL.
    public func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    /// The 0-based `column` of the current row as an `Int`; 0 for NULL.
    public func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(handle, column)) }
    /// The 0-based `column` of the current row as a double; 0.0 for NULL.
    public func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }
    /// Whether the 0-based `column` of the current row is NULL.
    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    /// The 0-based `column` of the current row as text (ill-formed UTF-8 replaced with U+FFFD); `""` for NULL, so use
    /// ``optionalString(_:)`` where NULL must be told apart.
    public func string(_ column: Int32) -> String {
        guard let pointer = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// The 0-based `column` of the current row as text; `nil` for NULL.
    public func optionalString(_ column: Int32) -> String? {
        isNull(column) ? nil : string(column)
    }

    /// The bytes of the 0-based `column` of the current row (copied); empty for NULL or a zero-length blob.
    public func blob(_ column: Int32) -> [UInt8] {
        guard let pointer = sqlite3_column_blob(handle, column) else { return [] }
        let count = Int(sqlite3_column_bytes(handle, column))
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// `SQLITE_TRANSIENT`: SQLite copies the bound bytes (the C macro is not imported).
    public static var transient: sqlite3_destructor_type {
        unsafeBitCast(-1 as Int, to: sqlite3_destructor_type.self)
    }
}
