import AsyncHTTPClient
import FarmIQCore
import Foundation
import FarmIQMQTT
import FarmIQStorage
import Hummingbird
import IngressGateway
import Logging
import MediaAccess
import MediaStore
import VisionInference
import Prometheus
import ServiceLifecycle
import SyncForwarder
import UnixSignals
import TelemetryTimeseries
import WeighVisionSession

/// Builds and runs one `farmiq-edge` process: the database, then a service group of the mode's
/// services (MQTT client, gateway, retention, HTTP) with graceful shutdown on SIGTERM/SIGINT.
///
/// Shutdown order is the reverse of start: HTTP stops, the gateway stops intake and commits and
/// acknowledges what it received, the MQTT client disconnects, and the database closes last.
public struct EdgeProcess: Sendable {
    public let mode: EdgeMode
    public let configuration: EdgeConfiguration
    public let logger: Logger
    /// Called with the bound HTTP port once the server listens (tests bind port 0).
    public var onHTTPBound: (@Sendable (Int) async -> Void)?
    /// Signals that start a graceful shutdown; tests pass none and cancel the task instead.
    public var gracefulShutdownSignals: [UnixSignal]
    /// Used fraction of the volume holding a path (tests replace it to simulate a full disk).
    public var volumeUsage: @Sendable (String) -> Double?

    public init(
        mode: EdgeMode, configuration: EdgeConfiguration, logger: Logger,
        onHTTPBound: (@Sendable (Int) async -> Void)? = nil,
        gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint],
        volumeUsage: @escaping @Sendable (String) -> Double? = { EdgeMetricsCollector.usedRatio(path: $0) }
    ) {
        self.volumeUsage = volumeUsage
        self.mode = mode
        self.configuration = configuration
        self.logger = logger
        self.onHTTPBound = onHTTPBound
        self.gracefulShutdownSignals = gracefulShutdownSignals
    }

    public func run() async throws {
        try configuration.requireOperatorTokenOffLoopback()
        let database = try EdgeDatabase.open(configuration.databaseURL, logger: logger)
        // The database outlives the services: it stops only after they have. A cancelled run() (how an embedding
        // process or a test stops the edge) reaches the services first; cancelling the PostgreSQL pool at the same
        // moment left a worker's last query waiting on a pool that had shut down, and the edge never stopped.
        let databaseTask = Task { try await database.run() }
        let outcome: Result<Void, any Error>
        do {
            try await runServices(database)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        databaseTask.cancel()
        _ = try? await databaseTask.value
        try outcome.get()
    }

    private func runServices(_ database: EdgeDatabase) async throws {
        try await migrate(database)
        let registry = PrometheusCollectorRegistry()
        let router = Router(context: BasicRequestContext.self)
        if let token = configuration.apiToken {
            router.add(middleware: OperatorTokenMiddleware(token: token))
        }
        var services: [any Service] = []
        var checks: [OpsRoutes.ReadinessCheck] = [
            .init(name: "database") { (try? await database.ping()) != nil },
        ]
        var httpClient: HTTPClient?
        var syncClient: HTTPClient?
        var mediaClient: HTTPClient?
        var refreshers: [@Sendable () async -> Void] = []

        // Where the forwarder and inference read image bytes: the media volume where the media store runs (or
        // where the volume is mounted), else the media store's GET with the operator token (FARMIQ_MEDIA_URL,
        // cluster mode), else nowhere.
        var mediaSource: MediaSource?
        if mode.runsForwarder || mode.runsInference {
            if mode.runsMediaStore || FileManager.default.fileExists(atPath: configuration.mediaRoot + "/.tmp") {
                mediaSource = .volume(root: configuration.mediaRoot)
            } else if let mediaURL = configuration.mediaURL {
                let client = HTTPClient(eventLoopGroupProvider: .singleton)
                mediaClient = client
                mediaSource = .http(baseURL: mediaURL, operatorToken: configuration.apiToken, client: client)
            } else {
                logger.warning("no image bytes can be read (nothing sent to the cloud, nothing analysed): set FARMIQ_MEDIA_URL (the media store) or mount the media volume at FARMIQ_MEDIA_ROOT")
            }
        }

        var telemetryService: TelemetryService?
        if mode.runsTelemetry {
            let service = TelemetryService(store: database.telemetry, logger: logger)
            TelemetryRoutes(service: service, validator: configuration.validator, acceptsGatewayBatches: !mode.runsGateway)
                .register(on: router)
            services.append(RetentionService(
                store: database.telemetry, retentionDays: configuration.telemetryRetentionDays,
                eventIDs: database.ingress, eventIDHorizonMilliseconds: configuration.validator.eventIDHorizonMilliseconds, logger: logger))
            if let path = configuration.databaseVolumePath {
                services.append(StoragePressureService(
                    configuration: .init(volumePath: path, softRatio: configuration.dbSoftWatermark),
                    telemetry: database.telemetry, outbox: database.outbox, usage: volumeUsage, registry: registry, logger: logger))
            }
            telemetryService = service
        }
        if mode.runsSessions {
            let metrics = SessionMetrics(registry: registry)
            WeighSessionRoutes(
                store: database.sessions, policy: configuration.sessionPolicy, validator: configuration.validator,
                acceptsGatewayBatches: !mode.runsGateway, media: database.media
            ).register(on: router)
            services.append(SessionFinalizer(store: database.sessions, metrics: metrics, logger: logger, images: Self.sessionImages(database)))
            let sessions = database.sessions
            let log = logger
            refreshers.append {
                do {
                    metrics.update(try await sessions.sessionCounts(now: .now()))
                } catch {
                    log.warning("metrics: session counts unavailable", metadata: ["error": "\(error)"])
                }
            }
        }
        if mode.runsMediaStore {
            let metrics = MediaMetrics(registry: registry)
            let volume = MediaVolume(root: configuration.mediaRoot)
            try await volume.prepare()
            let usage = volumeUsage
            let intake = MediaIntake(
                store: database.media, volume: volume, hardWatermark: configuration.mediaHardWatermark,
                usage: usage, logger: logger)
            MediaRoutes(intake: intake, registry: database.devices, operatorToken: configuration.apiToken, metrics: metrics)
                .register(on: router)
            let sweeper = MediaSweeper(
                configuration: .init(softWatermark: configuration.mediaSoftWatermark), intake: intake, metrics: metrics)
            services.append(sweeper)
            let media = database.media
            let log = logger
            refreshers.append {
                do {
                    metrics.update(try await media.backlog())
                } catch {
                    log.warning("metrics: media backlog unavailable", metadata: ["error": "\(error)"])
                }
            }
        }
        if mode.runsInference {
            let metrics = InferenceMetrics(registry: registry)
            // Without a source (warned above) no worker runs: jobs wait in the queue (and its age alert fires)
            // rather than fail as if their images were gone.
            if let source = mediaSource {
                // FARMIQ_INFERENCE_LEASE_SECONDS: tuning and test hook (how long a dead worker's job waits), default 60.
                let lease = ProcessInfo.processInfo.environment["FARMIQ_INFERENCE_LEASE_SECONDS"].flatMap(Int.init).map { max(1, $0) } ?? 60
                services.append(InferenceService(
                    configuration: .init(
                        workers: configuration.inferenceWorkers ?? ProcessInfo.processInfo.activeProcessorCount, source: source,
                        lease: .seconds(lease)),
                    store: database.inference, models: database.models, metrics: metrics, logger: logger,
                    resultStored: { [sessions = database.sessions, grace = configuration.sessionPolicy.grace, log = logger] media in
                        guard let sessionID = media.sessionID else { return }
                        do {
                            _ = try await sessions.reopenForImage(tenantID: media.address.tenantID, sessionID: sessionID, at: .now(), grace: grace)
                        } catch {
                            log.warning("a finalized session could not be reopened for its analysed image", metadata: [
                                "session.id": "\(sessionID)", "error": "\(error)"])
                        }
                    }))
            }
            services.append(CalibrationService(store: database.models, logger: logger))
            let inference = database.inference
            let log = logger
            refreshers.append {
                do {
                    let backlog = try await inference.backlog()
                    metrics.update(waiting: backlog.waiting, oldestCreatedAt: backlog.oldestCreatedAt)
                } catch {
                    log.warning("metrics: inference backlog unavailable", metadata: ["error": "\(error)"])
                }
            }
        }
        if mode.runsGateway {
            let sink: any TelemetrySink
            let sessionSink: any SessionSink
            if let telemetryService {
                sink = LocalTelemetrySink(service: telemetryService)
                sessionSink = LocalSessionSink(store: database.sessions, policy: configuration.sessionPolicy)
            } else {
                let client = HTTPClient(eventLoopGroupProvider: .singleton)
                httpClient = client
                sink = HTTPTelemetrySink(client: client, baseURL: configuration.telemetryURL, token: configuration.apiToken)
                sessionSink = HTTPSessionSink(client: client, baseURL: configuration.sessionURL, token: configuration.apiToken)
            }
            let mqtt = MQTTClient(configuration: try mqttConfiguration(), logger: logger)
            let gateway = IngressGateway(
                configuration: IngressGatewayConfiguration(
                    shareGroup: shareGroup(), tenant: configuration.ingestTenant, batchSize: configuration.ingestBatchSize,
                    validator: configuration.validator,
                    diskWatermark: configuration.databaseVolumePath.map {
                        DiskWatermark(path: $0, hardRatio: configuration.dbHardWatermark, usage: volumeUsage)
                    }),
                mqtt: mqtt, telemetry: sink, sessions: sessionSink, store: database.ingress, metrics: IngestMetrics(registry: registry), logger: logger)
            services.append(contentsOf: [mqtt, gateway] as [any Service])
            checks.append(.init(name: "mqtt_subscription") { gateway.isReady })
            checks.append(.init(name: "ingest_stalled") { gateway.isIntakeFlowing })
            refreshers.append { gateway.refreshScrapedMetrics() }
        }

        if mode.runsForwarder {
            let syncConfiguration = SyncForwarderConfiguration(configuration, environment: ProcessInfo.processInfo.environment)
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: SyncForwarder.httpClientConfiguration(syncConfiguration))
            syncClient = client
            let forwarder = SyncForwarder(
                configuration: syncConfiguration, store: database.outbox, httpClient: client, registry: registry, logger: logger,
                media: mediaSource.map { (database.media, $0) })
            services.append(forwarder)
        }

        // Each volume is reported by the processes that use it (a gauge never set would read 0 elsewhere).
        var volumes: [(name: String, path: String)] = mode.runsMediaStore ? [(name: "media", path: configuration.mediaRoot)] : []
        if let path = configuration.databaseVolumePath {
            volumes.append((name: "db", path: path))
        }
        let collector = EdgeMetricsCollector(
            registry: registry, database: database, volumes: volumes, refreshers: refreshers, logger: logger)
        OpsRoutes(checks: checks, metrics: collector).register(on: router)

        let onHTTPBound = self.onHTTPBound
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.httpHost, port: configuration.httpPort), serverName: "farmiq-edge"),
            onServerRunning: { channel in await onHTTPBound?(channel.localAddress?.port ?? 0) },
            logger: logger)
        services.append(app)

        logger.info("farmiq-edge starting", metadata: [
            "mode": "\(mode.rawValue)", "database": "\(configuration.databaseURL)",
            "http.port": "\(configuration.httpPort)", "mqtt.url": "\(configuration.mqttURL)",
        ])
        var groupLogger = logger
        if ProcessInfo.processInfo.environment["FARMIQ_DEBUG_SERVICE_GROUP"] != nil {
            groupLogger.logLevel = .debug
            groupLogger[metadataKey: "edge.database"] = "\(configuration.databaseURL)"
            services = services.map { DiagnosedService(base: $0, logger: groupLogger) }
        }
        let serviceGroup = ServiceGroup(configuration: .init(
            services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            gracefulShutdownSignals: gracefulShutdownSignals,
            logger: groupLogger))
        let outcome: Result<Void, any Error>
        do {
            try await serviceGroup.run()
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        for client in [httpClient, syncClient, mediaClient].compactMap({ $0 }) {
            try? await client.shutdown()
        }
        try outcome.get()
    }

    /// A session's images for its finalization (`contracts.md` §3a): how many are stored, and what inference found.
    package static func sessionImages(_ database: EdgeDatabase) -> @Sendable (String, String) async throws -> SessionImages {
        { tenantID, sessionID in
            let count = try await database.media.imageCount(tenantID: tenantID, sessionID: sessionID)
            let results = try await database.inference.sessionResults(tenantID: tenantID, sessionID: sessionID)
            return SessionImages(
                count: count, inferredCounts: results.counts, averageWeightEstimateKg: results.averageWeightKg,
                modelVersion: results.modelVersion, calibrated: results.calibrated)
        }
    }

    /// Runs the migrations, waiting for the database if it is not reachable yet.
    private func migrate(_ database: EdgeDatabase) async throws {
        var backoff = RetryBackoff(base: .milliseconds(200), cap: .seconds(5))
        while true {
            do {
                try await database.migrate()
                return
            } catch let error as EdgeError where error.code == .databaseUnavailable {
                logger.warning("database unavailable; waiting to migrate", metadata: ["error": "\(error)"])
                try await Task.sleep(for: backoff.next())
            }
        }
    }

    func mqttConfiguration() throws -> MQTTClientConfiguration {
        var mqtt = try MQTTClientConfiguration(
            url: configuration.mqttURL, clientID: configuration.mqttClientID,
            username: configuration.mqttUsername, password: configuration.mqttPassword)
        mqtt.caCertificatePath = configuration.mqttCAFile
        mqtt.cleanStart = false
        mqtt.receiveMaximum = UInt16(configuration.mqttReceiveMaximum)
        mqtt.sessionExpiry = .seconds(configuration.mqttSessionExpirySeconds)
        // The broker passes up to 1 MiB so oversized envelopes reach the gateway and are recorded.
        mqtt.maximumPacketSize = 1_048_576 + 4096
        return mqtt
    }

    /// The configured group, else `farmiq-ingress` for a gateway process (replicas split the work)
    /// and a plain subscription for all-in-one (one gateway; survives a Mosquitto restart).
    func shareGroup() -> String? {
        switch configuration.mqttShareGroup {
        case "none"?: nil
        case let group?: group
        case nil: mode == .ingressGateway ? "farmiq-ingress" : nil
        }
    }
}

/// Diagnosis (`FARMIQ_DEBUG_SERVICE_GROUP` set: the service group logs at debug level, naming the database, and
/// each service's `run()` logs when it returns), for an edge that does not stop.
struct DiagnosedService: Service {
    let base: any Service
    let logger: Logger

    func run() async throws {
        defer { logger.info("service run() returned", metadata: ["service": "\(type(of: base))"]) }
        try await base.run()
    }
}
