import ArgumentParser
import FarmIQApp
import FarmIQCore

@main
struct FarmIQEdgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "farmiq-edge",
        abstract: "FarmIQ Edge: barn telemetry ingest, local storage and sync, next to the barns.",
        version: EdgeVersion.current,
        subcommands: [
            AllInOneCommand.self, ServeCommand.self, SimulateCommand.self, BenchCommand.self,
            MigrateCommand.self, StatusCommand.self, CloudSimCommand.self, OutboxCommand.self, DevicesCommand.self, ModelCommand.self,
        ])

    static func main() async {
        MallocTuning.limitArenas()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
