import FarmIQCore
import Logging

extension SQLiteBackend {
    /// Applies the missing migrations in one write transaction (the write lock keeps other processes out).
    func migrate() async throws {
        let logger = self.logger
        let applied: [Int] = try await write { connection in
            try connection.transaction {
                try connection.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)")
                var existing = Set<Int>()
                let select = try connection.statement("SELECT version FROM schema_migrations")
                while try select.step() { existing.insert(select.int(0)) }
                select.reset()
                var applied: [Int] = []
                for migration in Migrations.all where !existing.contains(migration.version) {
                    for sql in migration.sqlite {
                        do {
                            try connection.execute(sql)
                        } catch {
                            throw EdgeError(.migrationFailed, "migration \(migration.version) (\(migration.name)) failed", cause: error)
                        }
                    }
                    let insert = try connection.statement("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
                    insert.bind(1, migration.version)
                    insert.bind(2, migration.name)
                    insert.bind(3, Timestamp.now().millisecondsSinceEpoch)
                    try insert.run()
                    applied.append(migration.version)
                }
                return applied
            }
        }
        for version in applied {
            logger.info("applied migration", metadata: ["db.engine": "sqlite", "migration.version": "\(version)"])
        }
    }

    func ping() async throws {
        _ = try await read { connection in
            let statement = try connection.statement("SELECT 1")
            defer { statement.reset() }
            return try statement.step()
        }
    }
}
