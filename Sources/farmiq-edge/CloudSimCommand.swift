import ArgumentParser
import CloudSim
import FarmIQCore
import Foundation
import Logging
import ServiceLifecycle

/// `farmiq-edge cloud-sim`: the reference cloud-ingestion for tests and the demo. It is a test peer
/// that implements the cloud side of contracts.md §4 with fault injection — not the FarmIQ cloud.
struct CloudSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cloud-sim", abstract: "Run the reference cloud-ingestion (a test peer, not the cloud).")

    @Option(help: "listen address") var host: String = "127.0.0.1"
    @Option(help: "listen port (0: any free port)") var port: Int = 9090
    @Option(help: "folder of its own store (dedupe SQLite file, media)") var dataDirectory: String = "./data/cloud-sim"
    @Option(help: ArgumentHelp("file holding the expected bearer token (or set FARMIQ_CLOUD_SIM_TOKEN; unset: any token)", valueName: "path"))
    var tokenFile: String?
    @Option(help: "faults at start, JSON, e.g. '{\"reject_event_types\":[\"device.status\"]}'") var faults: String?
    @Option(help: "trace, debug, info, notice, warning, error, critical") var logLevel: String = "info"

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0-65535") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level is not a log level") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, logLevel: level) }
        let logger = Logger(label: "farmiq-cloud-sim")
        let token = try readSecret(tokenFile, for: .cloudToken) ?? ProcessInfo.processInfo.environment["FARMIQ_CLOUD_SIM_TOKEN"]
        var configuration = CloudSimConfiguration(host: host, port: port, dataDirectory: dataDirectory, token: token)
        if let faults { configuration.faults = try CloudSimFaults(json: faults) }
        let server = try CloudSimServer(configuration: configuration, logger: logger, onBound: { port in
            logger.info("cloud-sim listening", metadata: ["http.port": "\(port)"])
        })
        try await ServiceGroup(configuration: .init(
            services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)).run()
    }
}
