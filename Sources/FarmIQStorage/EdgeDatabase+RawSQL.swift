import FarmIQCore
import FarmIQSQLite
import PostgresNIO

extension EdgeDatabase {
    /// Runs trusted SQL without parameters (tests and maintenance; never with outside input).
    package func execute(unsafeSQL sql: String) async throws {
        switch backend {
        case .sqlite(let sqlite):
            try await sqlite.write { connection in try connection.execute(sql) }
        case .postgres(let postgres):
            let rows = try await postgres.query(PostgresQuery(unsafeSQL: sql), "execute")
            for try await _ in rows {}
        }
    }

    /// Runs trusted SQL returning one integer (tests and maintenance; never with outside input).
    package func scalarInt(unsafeSQL sql: String) async throws -> Int {
        switch backend {
        case .sqlite(let sqlite):
            return try await sqlite.read { connection in
                let statement = try connection.statement(sql)
                defer { statement.reset() }
                guard try statement.step() else { return 0 }
                return statement.int(0)
            }
        case .postgres(let postgres):
            let rows = try await postgres.query(PostgresQuery(unsafeSQL: sql), "query")
            for try await value in rows.decode(Int64.self) { return Int(value) }
            return 0
        }
    }
}
