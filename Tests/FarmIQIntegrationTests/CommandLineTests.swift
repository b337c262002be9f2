import FarmIQCore
import FarmIQTestSupport
import Foundation
import Testing

/// The CLI follows its own rule (README "Running"): every setting is an environment variable and the
/// same-named flag (a secret: a `-file` flag), each documented with its meaning and default in `--help` and
/// in the README; each subcommand shows only the options it uses; no secret is taken on a command line.
@Suite("Command line")
struct CommandLineTests {
    static func help(_ arguments: [String]) async throws -> String {
        let output = try await TestCommand.run(TestEnvironment.edgeBinary, arguments + ["--help"]).output
        // Help text wraps at the terminal width: compare with whitespace runs as one space.
        return output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    static let secrets: Set<ConfigurationKey> = [.mqttPassword, .cloudToken, .apiToken]

    @Test("every configuration key has its flag with meaning, default and variable, and a README line")
    func everyKeyHasItsFlagAndREADMELine() async throws {
        let help = try await Self.help(["all-in-one"])
        let readme = try String(contentsOfFile: URL(fileURLWithPath: TestEnvironment.edgeBinary)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("README.md").path, encoding: .utf8)
        for key in ConfigurationKey.allCases {
            let flag = "--" + key.flagName + (Self.secrets.contains(key) ? "-file" : "")
            #expect(help.contains(flag), "all-in-one --help lacks \(flag)")
            #expect(help.contains("[env: \(key.environmentName)]") || help.contains("set \(key.environmentName)"), "no variable name for \(flag)")
            #expect(readme.contains("| `\(key.environmentName)` | `\(flag)` |"), "README has no settings line for \(key.environmentName)")
        }
        #expect(!help.contains("--mqtt-password ") && !help.contains("--cloud-token "), "a secret is taken on the command line")
    }

    @Test("status, migrate and outbox show only what they use; cloud-sim and simulate take no secret on the command line")
    func subcommandsShowTheirOwnOptions() async throws {
        let status = try await Self.help(["status"])
        #expect(status.contains("--database-url") && status.contains("--http-port") && status.contains("--db-volume-path"))
        #expect(!status.contains("--mqtt-share-group") && !status.contains("--cloud-url") && !status.contains("--ingest-batch-size"))
        let migrate = try await Self.help(["migrate"])
        #expect(migrate.contains("--database-url") && !migrate.contains("--mqtt-url") && !migrate.contains("--http-port"))
        let cloudSim = try await Self.help(["cloud-sim"])
        #expect(cloudSim.contains("--token-file") && !cloudSim.contains("--token <"))
        let simulate = try await Self.help(["simulate"])
        #expect(simulate.contains("--password-file") && !simulate.contains("--password <"))
    }

    @Test("status reports what the running edge recorded, not what the technician's shell has set")
    func statusReadsTheRecordedState() async throws {
        let databaseURL = try await TestEnvironment.freshDatabaseURL(.sqlite)
        try await TestDatabase.withDatabase(databaseURL) { db in
            try await db.outbox.setForwarderState("sending", detail: nil)
        }
        // The shell has no FARMIQ_CLOUD_URL and nothing listens on the HTTP port.
        let (status, output) = try await TestCommand.run(
            TestEnvironment.edgeBinary, ["status", "--database-url", databaseURL, "--http-port", "\(ChildEdge.freePort())"],
            environment: ["PATH": "/usr/bin:/bin"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("Cloud sync (as the forwarder recorded it"), "\(output)")
        #expect(output.contains(": sending"), "\(output)")
        #expect(!output.contains("paused"), "\(output)")
        #expect(output.contains("Service: not reachable"), "\(output)")
        #expect(output.contains("Devices sending: 0 with a message accepted in the last 10 minutes"), "\(output)")
    }

    @Test("status refuses a database that does not exist, naming where it looked, and creates nothing")
    func statusRefusesAMissingDatabase() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(TestEnvironment.uniqueName("no-db")).path
        let (status, output) = try await TestCommand.run(TestEnvironment.edgeBinary, ["status", "--database-url", "sqlite://\(folder)/edge.sqlite"])
        #expect(status != 0)
        #expect(output.contains("no database at \(folder)/edge.sqlite"), "\(output)")
        #expect(!FileManager.default.fileExists(atPath: folder))
    }
}

extension CommandLineTests {
    static func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await TestCommand.run(TestEnvironment.edgeBinary, arguments)
    }

    @Test("devices add prints a token once and stores only its SHA-256; list, disable, enable, rotate; bad input is refused")
    func devicesCommands() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(TestEnvironment.uniqueName("devices")).path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let database = ["--database-url", "sqlite://\(folder)/edge.sqlite"]
        let added = try await Self.run(["devices", "add", "demo/farm-1/barn-1/scale-1"] + database)
        #expect(added.status == 0, "\(added.output)")
        let token = try #require(added.output.split(separator: "\n").last.map(String.init))
        #expect(DeviceToken.isWellFormed(token), "\(added.output)")
        let again = try await Self.run(["devices", "add", "demo/farm-1/barn-1/scale-1"] + database)
        #expect(again.output.contains("already registered"))
        let traversal = try await Self.run(["devices", "add", "demo/farm-1/../scale-1"] + database)
        #expect(traversal.status != 0)
        let short = try await Self.run(["devices", "add", "demo/farm-1/barn-1"] + database)
        #expect(short.status != 0)
        var list = try await Self.run(["devices", "list"] + database).output
        #expect(list.contains("demo/farm-1/barn-1/scale-1") && list.contains("enabled"))
        #expect(!list.contains(token))
        let disabled = try await Self.run(["devices", "disable", "demo/farm-1/barn-1/scale-1"] + database)
        #expect(disabled.status == 0)
        list = try await Self.run(["devices", "list", "--tenant", "demo"] + database).output
        #expect(list.contains("disabled"))
        let enabled = try await Self.run(["devices", "enable", "demo/farm-1/barn-1/scale-1"] + database)
        #expect(enabled.status == 0)
        let rotated = try await Self.run(["devices", "rotate", "demo/farm-1/barn-1/scale-1"] + database)
        let newToken = try #require(rotated.output.split(separator: "\n").last.map(String.init))
        #expect(DeviceToken.isWellFormed(newToken) && newToken != token)
        let missing = try await Self.run(["devices", "disable", "demo/farm-1/barn-1/nobody"] + database)
        #expect(missing.status != 0 && missing.output.contains("no device demo/farm-1/barn-1/nobody"))
        // Only digests are stored: neither token appears anywhere in the database files.
        for file in try FileManager.default.contentsOfDirectory(atPath: folder) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(file)"))
            #expect(bytes.range(of: Data(token.utf8)) == nil && bytes.range(of: Data(newToken.utf8)) == nil, "\(file)")
        }
    }
}
