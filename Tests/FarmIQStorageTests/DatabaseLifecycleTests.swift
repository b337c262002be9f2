import FarmIQTestSupport
import FarmIQCore
import Foundation
import Testing
@testable import FarmIQStorage

@Suite("Database lifecycle")
struct DatabaseLifecycleTests {
    @Test func unreachablePostgresIsDatabaseUnavailable() async throws {
        let url = try DatabaseURL(parsing: "postgres://farmiq:s3cret-pw@127.0.0.1:1/farmiq_none")
        let db = try EdgeDatabase.open(url, logger: TestDatabase.logger)
        try await TestDatabase.running(db, migrate: false) { db in
            let error = await #expect(throws: EdgeError.self) { try await db.ping() }
            #expect(error?.code == .databaseUnavailable)
            #expect(error.map { !"\($0)".contains("s3cret-pw") } == true)
            #expect(error?.isRetryableStorageError == true)
        }
    }

    @Test func sqliteCreatesParentDirectoryAndClosesOnCancel() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("farmiq-life-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("a/b/edge.sqlite").path
        let db = try EdgeDatabase.open(.sqlite(path: path), logger: TestDatabase.logger)
        #expect(FileManager.default.fileExists(atPath: path))
        try await TestDatabase.running(db, migrate: true) { db in
            try await db.ping()
        }
        // After run() returned the database is closed.
        let error = await #expect(throws: EdgeError.self) { try await db.ping() }
        #expect(error?.code == .databaseUnavailable)
        // Reopening sees the migrated schema.
        let reopened = try EdgeDatabase.open(.sqlite(path: path), logger: TestDatabase.logger)
        try await TestDatabase.running(reopened, migrate: true) { db in
            let applied = try await db.scalarInt(unsafeSQL: "SELECT count(*) FROM schema_migrations")
            #expect(applied == Migrations.all.count)
        }
    }

    @Test func sqliteUsesWAL() async throws {
        try await TestDatabase.with(.sqlite) { db in
            guard case .sqlite(let backend) = db.backend else { Issue.record("not sqlite"); return }
            let mode = try await backend.read { connection in
                let statement = try connection.statement("PRAGMA journal_mode")
                defer { statement.reset() }
                _ = try statement.step()
                return statement.string(0)
            }
            #expect(mode == "wal")
        }
    }

    @Test func bucketStartFloors() {
        #expect(AggregateBucketSize.minute.bucketStart(of: Timestamp(millisecondsSinceEpoch: 119_999)).millisecondsSinceEpoch == 60_000)
        #expect(AggregateBucketSize.hour.bucketStart(of: Timestamp(millisecondsSinceEpoch: 3_600_000)).millisecondsSinceEpoch == 3_600_000)
        #expect(AggregateBucketSize.minute.bucketStart(of: Timestamp(millisecondsSinceEpoch: -1)).millisecondsSinceEpoch == -60_000)
    }
}
