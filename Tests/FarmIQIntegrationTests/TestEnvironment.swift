import FarmIQTestSupport
import FarmIQCore
import FarmIQStorage
import Foundation
import Logging
import PostgresNIO

/// Where the real services of the test run are (scripts/test starts them and sets these variables).
enum TestEnvironment {
    static var mqttURL: String { ProcessInfo.processInfo.environment["FARMIQ_TEST_MQTT_URL"] ?? "mqtt://127.0.0.1:21883" }
    static var postgresURL: String {
        ProcessInfo.processInfo.environment["FARMIQ_TEST_POSTGRES_URL"] ?? "postgres://farmiq:farmiq@127.0.0.1:5432/farmiq_test"
    }
    /// `pg_ctlcluster 15 main` — the PostgreSQL-restart test runs `$FARMIQ_TEST_PG_CTL restart`.
    static var pgControl: String? { ProcessInfo.processInfo.environment["FARMIQ_TEST_PG_CTL"] }

    /// The built `farmiq-edge` binary (crash tests run it as a child process).
    static var edgeBinary: String {
        if let path = ProcessInfo.processInfo.environment["FARMIQ_EDGE_BINARY"] { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/farmiq-edge").path
    }

    /// Expected log output goes to ``TestLogFile/path``, not the terminal.
    static let logger: Logger = TestLogFile.logger("test", level: .info)

    static func uniqueName(_ prefix: String) -> String {
        "\(prefix)-\(EventID.v7().suffix(12))"
    }

    /// A fresh database of the engine: a new SQLite file, or a new PostgreSQL database (created
    /// through the admin URL) so tests never see each other's rows.
    static func freshDatabaseURL(_ engine: DatabaseEngine) async throws -> String {
        switch engine {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName("farmiq-it"))
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            return "sqlite://\(directory.path)/edge.sqlite"
        case .postgres:
            let name = "farmiq_it_" + EventID.v7().suffix(12).replacingOccurrences(of: "-", with: "")
            guard case .postgres(let location) = try DatabaseURL(parsing: postgresURL) else { fatalError("not a postgres URL") }
            let client = PostgresClient(configuration: .init(
                host: location.host, port: location.port, username: location.username, password: location.password,
                database: location.database, tls: .disable))
            try await watched("freshDatabaseURL: CREATE DATABASE \(name)") {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { await client.run() }
                    try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
                    group.cancelAll()
                }
            }
            var url = postgresURL
            if let slash = url.lastIndex(of: "/") { url = String(url[..<slash]) + "/" + name }
            return url
        }
    }
}
