import FarmIQCore
import Logging
import PostgresNIO

/// The PostgreSQL side of ``EdgeDatabase``: a pooled `PostgresClient` that connects when ``run()`` runs.
package final class PostgresBackend: Sendable {
    let client: PostgresClient
    /// The logger of the pool and the stores (package access: the benchmarks log with it).
    package let logger: Logger
    let location: DatabaseURL.PostgresLocation

    /// Retries of a batch that hit a concurrent writer before the conflict is surfaced to the caller.
    static let conflictRetries = 2

    init(_ location: DatabaseURL.PostgresLocation, maximumConnections: Int = 8, logger: Logger) {
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password,
            database: location.database, tls: location.requireTLS ? .require(.makeClientConfiguration()) : .disable)
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.minimumConnections = 0
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
        self.location = location
    }

    /// Fired as `run()` starts the pool: queries wait for it, so none asks the pool for a connection before
    /// it runs (PostgresClient warns, and the first queries of a process raced it).
    private let running = OneShotSignal()

    /// How long a cancelled ``run()`` waits for the pool to stop.
    static let shutdownWait: Duration = .seconds(5)

    /// Runs the pool until cancelled. Once cancelled it waits at most ``shutdownWait`` for the pool to stop, then
    /// returns anyway (with a warning): an edge must stop even if the pool does not. Seen in the end-to-end tests
    /// before the edge stopped its services ahead of its database: a pool cancelled while a worker was still
    /// querying never returned from `run()`, though it held no connection.
    func run() async {
        running.fire()
        let client = self.client, logger = self.logger
        let stopped = OneShotSignal()
        let pool = Task {
            await client.run()
            stopped.fire()
        }
        await withTaskCancellationHandler {
            await stopped.waitIgnoringCancellation()
        } onCancel: {
            pool.cancel()
            Task {
                try? await Task.sleep(for: PostgresBackend.shutdownWait)
                if !stopped.isFired {
                    logger.warning("the PostgreSQL pool did not stop within 5 s of cancellation; stopping without it")
                }
                stopped.fire()
            }
        }
    }

    /// Runs a query on a pooled connection and returns its rows, read in full; PostgresNIO errors become
    /// ``FarmIQCore/EdgeError``.
    ///
    /// Not `PostgresClient.query`: in PostgresNIO 1.33.2 it leaks its pooled connection when the query fails
    /// before the caller starts reading the rows (`PSQLRowStream.asyncSequence` never calls `onFinish` for a
    /// stream that already failed). A few such failures (poison messages, write conflicts) took every
    /// connection of the pool and every later query waited forever; the poison soak test found it.
    /// `withConnection` returns the connection whatever happens, so the rows are collected inside it.
    @discardableResult
    package func query(_ query: PostgresQuery, _ operation: String) async throws -> PostgresRows {
        await running.wait()
        let logger = self.logger
        do {
            return try await client.withConnection { connection in
                PostgresRows(rows: try await connection.query(query, logger: logger).collect())
            }
        } catch {
            throw PostgresErrors.map(error, operation)
        }
    }

    /// Runs `body` in a transaction on one pooled connection.
    package func transaction<T: Sendable>(_ operation: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        await running.wait()
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await body(connection)
            }
        } catch {
            throw PostgresErrors.map(error, operation)
        }
    }

    /// Runs a write, retrying on write conflicts (a concurrent replica stored the same messages).
    func retryingConflicts<T>(_ body: () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await body()
            } catch let error as EdgeError where error.code == .writeConflict && attempt < PostgresBackend.conflictRetries {
                attempt += 1
                logger.debug("write conflict, retrying the batch", metadata: ["db.attempt": "\(attempt)"])
            }
        }
    }

    func migrate() async throws {
        let logger = self.logger
        let applied: [Int] = try await transaction("migrate") { connection in
            // One migrator at a time across pods; the lock is released at commit.
            try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresBackend.migrationLockKey))", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)
                """, logger: logger)
            var existing = Set<Int>()
            for try await version in try await connection.query("SELECT version FROM schema_migrations", logger: logger).decode(Int.self) {
                existing.insert(version)
            }
            var applied: [Int] = []
            for migration in Migrations.all where !existing.contains(migration.version) {
                for sql in migration.postgres {
                    do {
                        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
                    } catch {
                        throw EdgeError(.migrationFailed, "migration \(migration.version) (\(migration.name)) failed",
                                        cause: PostgresErrors.map(error, "migrate"))
                    }
                }
                try await connection.query("""
                    INSERT INTO schema_migrations (version, name, applied_at) VALUES (\(migration.version), \(migration.name), \(Timestamp.now().millisecondsSinceEpoch))
                    """, logger: logger)
                applied.append(migration.version)
            }
            return applied
        }
        for version in applied {
            logger.info("applied migration", metadata: ["db.engine": "postgres", "migration.version": "\(version)"])
        }
    }

    /// `SELECT 1`, bounded in time: the pool waits for a connection while the server is down.
    func ping(timeout: Duration = .seconds(3)) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await self.query("SELECT 1", "ping")
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw EdgeError(.databaseUnavailable, "PostgreSQL at \(self.location.host):\(self.location.port) did not answer within \(timeout)")
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    /// An arbitrary constant shared by every edge process ("farmiq" in ASCII).
    static let migrationLockKey: Int64 = 0x66_61_72_6d_69_71
}
