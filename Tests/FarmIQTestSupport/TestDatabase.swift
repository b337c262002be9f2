import FarmIQCore
import FarmIQStorage
import Foundation
import Logging

/// Scratch databases for tests: the one helper of every test target that needs a database.
///
/// - ``with(_:migrate:_:)``: a fresh database per test, a temp SQLite file (WAL) or a new PostgreSQL database
///   `farmiq_t_<random>` created and dropped through the admin URL (`FARMIQ_TEST_POSTGRES_URL`), so tests run in
///   parallel and re-run.
/// - ``withDatabase(_:file:line:_:)``: a connection of its own to an existing database (an edge under test), to
///   check what it committed.
public enum TestDatabase {
    /// `FARMIQ_TEST_POSTGRES_URL`, default `postgres://farmiq:farmiq@127.0.0.1:5432/farmiq_test`.
    public static let adminURL = ProcessInfo.processInfo.environment["FARMIQ_TEST_POSTGRES_URL"]
        ?? "postgres://farmiq:farmiq@127.0.0.1:5432/farmiq_test"

    /// Logs to the test log file at `FARMIQ_TEST_LOG_LEVEL` (default info).
    public static let logger: Logger = TestLogFile.logger(
        "farmiq.tests.database", level: ProcessInfo.processInfo.environment["FARMIQ_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info)

    /// Runs `body` with a fresh database of `engine` (migrated unless `migrate` is false), removed afterwards.
    public static func with(_ engine: DatabaseEngine, migrate: Bool = true, _ body: @Sendable (EdgeDatabase) async throws -> Void) async throws {
        switch engine {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("farmiq-test-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let database = try EdgeDatabase.open(.sqlite(path: directory.appendingPathComponent("db/edge.sqlite").path), logger: logger)
            try await running(database, migrate: migrate, body)
        case .postgres:
            guard case .postgres(let admin) = try DatabaseURL(parsing: adminURL) else {
                throw EdgeError(.invalidConfiguration, "FARMIQ_TEST_POSTGRES_URL must be a postgres:// URL")
            }
            let name = "farmiq_t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
            let adminDatabase = try EdgeDatabase.open(.postgres(admin), logger: logger)
            try await running(adminDatabase, migrate: false) { adminDatabase in
                try await adminDatabase.execute(unsafeSQL: "CREATE DATABASE \(name)")
                do {
                    var location = admin
                    location.database = String(name)
                    let database = try EdgeDatabase.open(.postgres(location), logger: logger)
                    try await running(database, migrate: migrate, body)
                } catch {
                    try? await adminDatabase.execute(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
                    throw error
                }
                try await adminDatabase.execute(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            }
        }
    }

    /// Runs `database.run()` beside `body` (after migrating, if asked) and stops it afterwards.
    public static func running(_ database: EdgeDatabase, migrate: Bool, _ body: @Sendable (EdgeDatabase) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await database.run() }
            do {
                if migrate { try await database.migrate() }
                try await body(database)
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
            try await group.waitForAll()
        }
    }

    /// Opens the database at `url` (migrated) with a connection of its own, runs `body`, and closes it. A
    /// ``watched(_:after:_:)`` probe names the caller when it takes over a minute.
    @discardableResult
    public static func withDatabase<T: Sendable>(
        _ url: String, file: String = #fileID, line: Int = #line, _ body: @Sendable @escaping (EdgeDatabase) async throws -> T
    ) async throws -> T {
        let database = try EdgeDatabase.open(try DatabaseURL(parsing: url), logger: logger)
        return try await watched("TestDatabase.withDatabase(\(url)) at \(file):\(line)") {
            try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    try await database.run()
                    return nil
                }
                defer { group.cancelAll() }
                try await database.migrate()
                return try await body(database)
            }
        }
    }
}
