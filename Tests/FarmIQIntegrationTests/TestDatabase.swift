import FarmIQCore
import FarmIQStorage
import FarmIQTestSupport

/// Reads a test's database directly (its own connection), to check what was committed.
enum TestDatabase {
    static func withDatabase<T: Sendable>(
        _ url: String, file: String = #fileID, line: Int = #line, _ body: @Sendable @escaping (EdgeDatabase) async throws -> T
    ) async throws -> T {
        let database = try EdgeDatabase.open(try DatabaseURL(parsing: url), logger: TestEnvironment.logger)
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

    static func rejects(_ url: String) async throws -> [StoredReject] {
        try await withDatabase(url) { try await $0.ingress.rejects(tenantID: nil, limit: 10_000) }
    }

    /// Distinct messages (event ids) of the tenant in telemetry_raw.
    static func messageCount(_ url: String, tenantID: String) async throws -> Int {
        try await withDatabase(url) { try await $0.telemetry.messageCount(tenantID: tenantID) }
    }
}
