import ArgumentParser
import FarmIQCore
import Foundation
import FarmIQApp
import FarmIQBenchmarks
import Logging

struct AllInOneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all-in-one", abstract: "Run every service in one process on one HTTP port (embedded default).")

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        let configuration = options.resolve()
        let logger = options.bootstrapLogging(configuration)
        try await EdgeProcess(mode: .allInOne, configuration: configuration, logger: logger).run()
    }
}

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run one service (cluster mode: one process per service).")

    @Argument(help: "ingress-gateway, telemetry-timeseries, weighvision-session, media-store, vision-inference or sync-forwarder") var service: String
    @OptionGroup var options: ConfigurationOptions

    func validate() throws {
        guard let mode = EdgeMode(rawValue: service), mode != .allInOne else {
            throw ValidationError("service must be ingress-gateway, telemetry-timeseries, weighvision-session, media-store, vision-inference or sync-forwarder")
        }
    }

    func run() async throws {
        let configuration = options.resolve()
        let logger = options.bootstrapLogging(configuration, label: "farmiq-\(service)")
        try await EdgeProcess(mode: EdgeMode(rawValue: service)!, configuration: configuration, logger: logger).run()
    }
}

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply the database migrations and exit.")

    @OptionGroup var options: DatabaseFlags

    func run() async throws {
        let configuration = options.resolve()
        let logger = options.bootstrapLogging(configuration)
        try await EdgeTools.migrate(configuration: configuration, logger: logger)
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print ingest and sync status for a technician, from the edge's database and its running service.")

    @OptionGroup var options: StatusFlags

    func run() async throws {
        let configuration = options.resolve()
        let logger = options.bootstrapToolLogging(configuration)
        do {
            print(try await EdgeTools.status(configuration: configuration, logger: logger))
        } catch let error as EdgeError where error.code == .invalidConfiguration {
            // The same form and exit code as a bad setting.
            FileHandle.standardError.write(Data("farmiq-edge: \(error.message)\n".utf8))
            throw ExitCode(2)
        }
    }
}

struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "simulate", abstract: "Publish realistic barn telemetry from N simulated devices, and run weigh stations (sessions over MQTT, images over HTTP).")

    @Option(help: "number of devices") var devices: Int = 10
    @Option(help: "messages per second per device") var rate: Double = 1
    @Option(help: "stop after this many messages in all") var count: Int?
    @Option var tenant: String = "demo"
    @Option var farm: String = "farm-1"
    @Option(help: "devices are spread over this many barns") var barns: Int = 3
    @Option(help: ArgumentHelp("file holding the MQTT password of the simulated devices (or set FARMIQ_SIMULATOR_PASSWORD)", valueName: "path"))
    var passwordFile: String?
    @Option(name: .customLong(ConfigurationKey.mqttURL.flagName), help: .init(.mqttURL)) var mqttURL: String?
    @Option(help: ArgumentHelp(
        "weigh stations to run: a file with one `{tenant}/{farm}/{barn}/{device} {device token}` per line (devices added with `farmiq-edge devices add`; the token is also the device's broker password)",
        valueName: "path"))
    var stationsFile: String?
    @Option(help: "where the stations upload images (the edge's HTTP base URL)") var mediaURL: String = "http://127.0.0.1:8080"
    @Option(help: "seconds between two weigh sessions of a station") var sessionInterval: Double = 20
    @Option(help: "images each station uploads per session") var imagesPerSession: Int = 3
    @Option(help: ArgumentHelp("directory for each image's ground truth (true count and weights, one JSON per image); never read by the edge", valueName: "path"))
    var groundTruthDir: String?
    @Option(help: "stop each station after this many sessions") var sessions: Int?
    @OptionGroup var options: DatabaseFlags

    func validate() throws {
        guard Identifier.isValidName(tenant), Identifier.isValidName(farm) else {
            throw ValidationError("--tenant and --farm must be 1-64 chars of [A-Za-z0-9_-]")
        }
        guard (0...10_000).contains(devices), devices > 0 || stationsFile != nil else {
            throw ValidationError("--devices must be 1-10000 (0 only with --stations-file)")
        }
        guard sessionInterval >= 0.1, sessionInterval <= 86_400 else { throw ValidationError("--session-interval must be 0.1-86400") }
        guard (0...20).contains(imagesPerSession) else { throw ValidationError("--images-per-session must be 0-20") }
        guard rate > 0, rate <= 10_000 else { throw ValidationError("--rate must be in (0, 10000]") }
        guard (1...64).contains(barns) else { throw ValidationError("--barns must be 1-64") }
    }

    func run() async throws {
        var configuration = options.resolve()
        if let mqttURL { configuration.mqttURL = mqttURL }
        let password = try readSecret(passwordFile, for: .mqttPassword) ?? ProcessInfo.processInfo.environment["FARMIQ_SIMULATOR_PASSWORD"]
        let logger = options.bootstrapLogging(configuration, label: "farmiq-simulator")
        let simulator = BarnSimulator(
            configuration: .init(
                mqttURL: configuration.mqttURL, password: password, tenantID: tenant, farmID: farm, barns: barns,
                devices: devices, rate: rate, totalMessages: count),
            logger: logger)
        var stations: [WeighStationSimulator.Station] = []
        if let stationsFile {
            guard let text = try? String(contentsOfFile: stationsFile, encoding: .utf8) else {
                throw ValidationError("cannot read --stations-file \(stationsFile)")
            }
            for line in text.split(separator: "\n") where !line.trimmingCharacters(in: .whitespaces).isEmpty {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count == 2, let address = DeviceAddress(path: String(fields[0])), DeviceToken.isWellFormed(fields[1]) else {
                    throw ValidationError("--stations-file: each line is `{tenant}/{farm}/{barn}/{device} {device token}`")
                }
                stations.append(.init(address: address, token: String(fields[1])))
            }
        }
        let weighStations = WeighStationSimulator(
            configuration: .init(
                mqttURL: configuration.mqttURL, mediaURL: mediaURL, stations: stations, interval: .seconds(sessionInterval),
                imagesPerSession: imagesPerSession, groundTruthDirectory: groundTruthDir, sessionsPerStation: sessions),
            logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            if devices > 0 { group.addTask { try await simulator.run() } }
            if !stations.isEmpty { group.addTask { try await weighStations.run() } }
            try await group.waitForAll()
        }
    }
}

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks that print figures.", subcommands: [BenchIngestCommand.self, BenchOutboxCommand.self, BenchDrainCommand.self, BenchMediaCommand.self, BenchInferenceCommand.self])
}

struct BenchIngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest", abstract: "QoS 1 telemetry through Mosquitto: broker ceiling vs committed by the gateway.")

    @Option(help: "messages to publish") var messages: Int = 100_000
    @Option(help: "readings per message") var readings: Int = 3
    @Option(help: "QoS 1 publishes in flight") var window: Int = 1000
    @Option(help: "HTTP port of the child all-in-one") var httpPort: Int = 18_080
    @Option(name: .customLong("event-ids"), help: "event ids the messages carry: v7 (time-ordered) or v4 (random); devices may send either")
    var eventIDs: String = "v7"
    @OptionGroup var options: ConfigurationOptions

    func validate() throws {
        guard ["v4", "v7"].contains(eventIDs) else { throw ValidationError("--event-ids must be v4 or v7") }
        guard (1...10_000_000).contains(messages) else { throw ValidationError("--messages must be 1-10000000") }
        guard (1...100).contains(readings) else { throw ValidationError("--readings must be 1-100") }
        guard (1...65_535).contains(window) else { throw ValidationError("--window must be 1-65535") }
    }

    func run() async throws {
        let configuration = options.resolve()
        let logger = options.bootstrapToolLogging(configuration, label: "farmiq-bench")
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let benchmark = IngestBenchmark(
            configuration: .init(
                messages: messages, readingsPerMessage: readings, window: window, mqttURL: configuration.mqttURL,
                databaseURL: options.databaseURL ?? ProcessInfo.processInfo.environment["FARMIQ_DATABASE_URL"] ?? "sqlite:///tmp/farmiq-bench.sqlite",
                httpPort: httpPort, executable: executable, randomEventIDs: eventIDs == "v4"),
            logger: logger)
        print(try await benchmark.run())
    }
}

struct BenchOutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "Outbox read-and-mark rate without HTTP: the textbook SKIP LOCKED loop vs the snapshot-bounded cursor. Needs a scratch database.")

    @Option(help: "rows to fill and drain") var rows: Int = 1_000_000
    @Option(help: "rows per claim / read") var batchSize: Int = 1000
    @OptionGroup var options: DatabaseFlags

    func run() async throws {
        let configuration = options.resolve()
        let logger = options.bootstrapToolLogging(configuration, label: "farmiq-bench")
        print(try await OutboxDrainBenchmark.report(configuration: configuration, rows: rows, batchSize: batchSize, logger: logger))
    }
}

struct BenchDrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain", abstract: "Drain an outbox backlog to a child cloud-sim with the real forwarder. Needs a scratch database.")

    @Option(help: "backlog size") var events: Int = 1_000_000
    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        let configuration = options.resolve()
        let logger = options.bootstrapToolLogging(configuration, label: "farmiq-bench")
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        print(try await DrainBenchmark.run(configuration: configuration, events: max(1, events), executable: executable, logger: logger))
    }
}

struct BenchMediaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "media",
        abstract: "Image uploads to a child media-store (uploads/s, MB/s, p50/p99, peak RSS) against the disk's ceiling; 10 MiB uploads' RSS; session finalization rate.")

    @Option(help: "uploads in the throughput phase") var uploads: Int = 2000
    @Option(help: "concurrent clients") var clients: Int = 16
    @Option(help: "bytes of each image in the throughput phase") var imageBytes: Int = 200_000
    @Option(help: "due sessions in the finalization phase") var sessions: Int = 10_000
    @Option(help: "scratch directory (deleted before and after)") var directory: String = "./data/bench-media"
    @Option(help: "HTTP port of the child media-store") var httpPort: Int = 18_083

    func validate() throws {
        guard (1...1_000_000).contains(uploads) else { throw ValidationError("--uploads must be 1-1000000") }
        guard (1...256).contains(clients) else { throw ValidationError("--clients must be 1-256") }
        guard (1000...10_000_000).contains(imageBytes) else { throw ValidationError("--image-bytes must be 1000-10000000") }
        guard (1...1_000_000).contains(sessions) else { throw ValidationError("--sessions must be 1-1000000") }
    }

    func run() async throws {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var logger = Logger(label: "farmiq-bench")
        logger.logLevel = .warning
        let benchmark = MediaBenchmark(
            configuration: .init(
                uploads: uploads, clients: clients, imageBytes: imageBytes, sessions: sessions,
                directory: URL(fileURLWithPath: directory).standardizedFileURL.path, httpPort: httpPort, executable: executable),
            logger: logger)
        print(try await benchmark.run())
    }
}

struct BenchInferenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inference",
        abstract: "The image pipeline on the simulator's realistic top views: ms per image (decode, whole pipeline), images/s, count accuracy, weight error and the self-calibration learning curve.")

    @Option(help: "images for the speed figures") var images: Int = 200
    @Option(help: "held-out weigh sessions per station (3 images each) for the accuracy figures") var sessions: Int = 60
    @Option(help: "seed of the calibration sessions and the speed images (the held-out sessions use seed + 1)") var seed: UInt64 = 42
    @Option(help: "directory to write the speed images to, with their ground truth and what the pipeline found") var samples: String?

    func validate() throws {
        guard (1...100_000).contains(images) else { throw ValidationError("--images must be 1-100000") }
        guard (1...10_000).contains(sessions) else { throw ValidationError("--sessions must be 1-10000") }
    }

    func run() async throws {
        print(await InferenceBenchmark.run(images: images, sessions: sessions, seed: seed, samples: samples))
    }
}
