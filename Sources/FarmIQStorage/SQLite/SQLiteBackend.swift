import FarmIQCore
import FarmIQSQLite
import Foundation
import Logging
import PostgresNIO  // NIOThreadPool (NIOPosix, re-exported by PostgresNIO)

/// The SQLite side of ``EdgeDatabase``: one writer connection on its own thread, a few reader connections
/// on a small thread pool, both off Swift's cooperative pool (SQLite calls block).
///
/// WAL lets the readers run while the writer commits. All writes of the process go through the single
/// writer, so `BEGIN IMMEDIATE` never waits on another writer of this process.
package final class SQLiteBackend: Sendable {
    let path: String
    let logger: Logger
    private let writer: SQLiteConnection
    private let writerThread: NIOThreadPool
    private let readers: ReaderConnections
    private let readerThreads: NIOThreadPool
    private let state = LockedValue<Bool>(false)  // closed

    init(path: String, readerCount: Int = 2, logger: Logger) throws(EdgeError) {
        self.path = path
        self.logger = logger
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw EdgeError(.databaseUnavailable, "cannot create the directory of the SQLite database \(path)", cause: error)
            }
        }
        self.writer = try SQLiteConnection(path: path, readOnly: false, pragmas: Self.writerPragmas)
        var readerConnections: [SQLiteConnection] = []
        for _ in 0..<readerCount {
            readerConnections.append(try SQLiteConnection(path: path, readOnly: true, pragmas: Self.readerPragmas))
        }
        self.readers = ReaderConnections(readerConnections)
        self.writerThread = NIOThreadPool(numberOfThreads: 1)
        self.readerThreads = NIOThreadPool(numberOfThreads: readerCount)
        writerThread.start()
        readerThreads.start()
    }

    /// The writer's pragmas.
    ///
    /// `synchronous=FULL`: in WAL mode that is one fsync of the WAL per commit. The gateway acknowledges an
    /// MQTT message only after its batch commits, so a commit must survive power loss (NORMAL may roll back the
    /// last transactions after an OS crash). The fsync is paid once per batch of ~500 messages.
    /// `wal_autocheckpoint = 8192` pages (32 MiB) instead of 1000: the hot index and roll-up pages that
    /// consecutive batches rewrite are copied to the database file once per checkpoint, not per few commits
    /// (measured: ingest throughput, see README Performance).
    static let writerPragmas = [
        "PRAGMA journal_mode = WAL",
        "PRAGMA synchronous = FULL",
        "PRAGMA wal_autocheckpoint = 8192",
        "PRAGMA journal_size_limit = 67108864",
        "PRAGMA cache_size = -24576",
        "PRAGMA temp_store = MEMORY",
        "PRAGMA foreign_keys = OFF",
    ]

    /// The readers' pragmas: read-only by construction, 16 MiB page cache each.
    static let readerPragmas = [
        "PRAGMA query_only = ON",
        "PRAGMA cache_size = -16384",
        "PRAGMA temp_store = MEMORY",
        "PRAGMA foreign_keys = OFF",
    ]

    /// Runs `body` with the writer connection on the writer thread.
    package func write<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try checkOpen()
        let writer = self.writer
        do {
            return try await writerThread.runIfActive { try body(writer) }
        } catch let error as EdgeError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw EdgeError(.databaseUnavailable, "SQLite writer is not running", cause: error)
        }
    }

    /// Runs `body` with a reader connection on a reader thread.
    func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try checkOpen()
        let readers = self.readers
        do {
            return try await readerThreads.runIfActive {
                let connection = readers.checkOut()
                defer { readers.checkIn(connection) }
                // A read transaction gives one consistent snapshot for multi-statement reads.
                return try body(connection)
            }
        } catch let error as EdgeError {
            throw error
        } catch {
            throw EdgeError(.databaseUnavailable, "SQLite reader is not running", cause: error)
        }
    }

    private func checkOpen() throws(EdgeError) {
        if state.withLock({ $0 }) {
            throw EdgeError(.databaseUnavailable, "SQLite database is closed")
        }
    }

    /// Stops the threads and closes the connections. Idempotent.
    func close() async {
        let alreadyClosed = state.withLock { closed in
            defer { closed = true }
            return closed
        }
        guard !alreadyClosed else { return }
        try? await writerThread.shutdownGracefully()
        try? await readerThreads.shutdownGracefully()
        writer.close()
        readers.closeAll()
        logger.debug("SQLite database closed", metadata: ["db.path": "\(path)"])
    }
}

/// The pool of reader connections. The reader thread pool has as many threads as connections, so a job
/// always finds one free.
final class ReaderConnections: @unchecked Sendable {
    private let lock = NSCondition()
    private var free: [SQLiteConnection]
    private let all: [SQLiteConnection]

    init(_ connections: [SQLiteConnection]) {
        self.free = connections
        self.all = connections
    }

    func checkOut() -> SQLiteConnection {
        lock.lock()
        defer { lock.unlock() }
        while free.isEmpty { lock.wait() }
        return free.removeLast()
    }

    func checkIn(_ connection: SQLiteConnection) {
        lock.lock()
        free.append(connection)
        lock.signal()
        lock.unlock()
    }

    func closeAll() {
        lock.lock()
        defer { lock.unlock() }
        for connection in all { connection.close() }
    }
}
