import AsyncHTTPClient
import FarmIQApp
import FarmIQCore
import FarmIQMQTT
import Foundation
import Logging
import NIOCore

/// `farmiq-edge bench ingest`: QoS 1 telemetry through Mosquitto, measured two ways in one run.
///
/// 1. Broker ceiling: one publisher to one bare subscriber that acknowledges at once and stores nothing.
/// 2. End to end: the same publisher to a child `farmiq-edge all-in-one` (the real gateway and store),
///    timed until the gateway has committed every message (its `farmiq_ingest_messages_total`).
/// It prints messages/s for both, their ratio, the gateway's peak RSS, and the CPU seconds spent by
/// the gateway, the broker and PostgreSQL during phase 2.
public struct IngestBenchmark: Sendable {
    public struct Configuration: Sendable {
        public var messages: Int
        public var readingsPerMessage: Int
        /// QoS 1 publishes in flight at once.
        public var window: Int
        public var mqttURL: String
        public var databaseURL: String
        public var httpPort: Int
        public var executable: String
        /// Random (v4) event ids instead of time-ordered (v7) ones: both are valid (`contracts.md` §1), and
        /// random ids land on random pages of every index keyed by them.
        public var randomEventIDs: Bool

        public init(
            messages: Int, readingsPerMessage: Int, window: Int, mqttURL: String, databaseURL: String, httpPort: Int, executable: String,
            randomEventIDs: Bool = false
        ) {
            self.randomEventIDs = randomEventIDs
            self.messages = messages
            self.readingsPerMessage = readingsPerMessage
            self.window = window
            self.mqttURL = mqttURL
            self.databaseURL = databaseURL
            self.httpPort = httpPort
            self.executable = executable
        }
    }

    let configuration: Configuration
    let logger: Logger

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws -> String {
        let runID = String(EventID.v7().suffix(12))
        let ceiling = try await brokerCeiling(runID: runID)
        let endToEnd = try await gatewayThroughput(runID: runID)
        let ratio = endToEnd.rate / ceiling
        var report = """
            ingest benchmark: \(configuration.messages) QoS 1 messages of \(configuration.readingsPerMessage) readings, \
            window \(configuration.window), event ids \(configuration.randomEventIDs ? "v4 (random)" : "v7 (time-ordered)"), \
            database \(endToEnd.database)
              broker ceiling (bare subscriber, immediate ack): \(format(ceiling)) msg/s
              end to end (committed by the gateway):          \(format(endToEnd.rate)) msg/s  = \(format(ratio * 100))% of the ceiling
              gateway peak RSS: \(endToEnd.peakRSS / 1_048_576) MiB
              CPU seconds during end-to-end phase: gateway \(format(endToEnd.gatewayCPU)), mosquitto \(format(endToEnd.brokerCPU)), \
            postgres \(format(endToEnd.postgresCPU)), publisher (this process) \(format(endToEnd.publisherCPU)), wall \(format(endToEnd.wall))
            """
        report += "\n"
        return report
    }

    // MARK: Phase 1

    private func brokerCeiling(runID: String) async throws -> Double {
        let topic = "bench/\(runID)/ceiling"
        var subscriberConfig = try MQTTClientConfiguration(url: configuration.mqttURL, clientID: "bench-sub-\(runID)")
        subscriberConfig.cleanStart = true
        subscriberConfig.receiveMaximum = 2000
        let subscriber = MQTTClient(configuration: subscriberConfig, logger: logger)
        let publisher = try makePublisher(clientID: "bench-pub-\(runID)")
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await subscriber.run() }
            group.addTask { try await publisher.run() }
            try await subscriber.waitUntilConnected()
            try await publisher.waitUntilConnected()
            _ = try await subscriber.subscribe([MQTTSubscription(topicFilter: topic, qos: .atLeastOnce)])
            let payloads = makePayloads(topicPrefix: nil)
            let start = ContinuousClock.now
            let expected = configuration.messages
            async let received: Int = {
                var count = 0
                for await message in subscriber.messages {
                    subscriber.acknowledge(message)
                    count += 1
                    if count == expected { break }
                }
                return count
            }()
            try await publishAll(publisher, topics: { _ in topic }, payloads: payloads)
            _ = await received
            let elapsed = ContinuousClock.now - start
            await subscriber.disconnect()
            await publisher.disconnect()
            group.cancelAll()
            return Double(expected) / elapsed.seconds
        }
    }

    // MARK: Phase 2

    struct EndToEnd {
        var rate: Double
        var peakRSS: Int
        var gatewayCPU: Double
        var brokerCPU: Double
        var postgresCPU: Double
        var publisherCPU: Double
        var wall: Double
        var database: String
    }

    private func gatewayThroughput(runID: String) async throws -> EndToEnd {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: configuration.executable)
        child.arguments = ["all-in-one"]
        var environment = ProcessInfo.processInfo.environment
        environment["FARMIQ_DATABASE_URL"] = configuration.databaseURL
        environment["FARMIQ_MQTT_URL"] = configuration.mqttURL
        environment["FARMIQ_HTTP_PORT"] = "\(configuration.httpPort)"
        environment["FARMIQ_MQTT_CLIENT_ID"] = "bench-gw-\(runID)"
        environment["FARMIQ_MQTT_SHARE_GROUP"] = "none"
        environment["FARMIQ_INGEST_TENANT"] = "bench-\(runID)"
        // The run's broker session must not outlive it: the broker would queue later traffic for it.
        environment["FARMIQ_MQTT_SESSION_EXPIRY_SECONDS"] = "30"
        environment["FARMIQ_LOG_LEVEL"] = "warning"
        child.environment = environment
        try child.run()
        defer { if child.isRunning { child.terminate(); child.waitUntilExit() } }
        let pid = child.processIdentifier
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let base = "http://127.0.0.1:\(configuration.httpPort)"
            try await BenchmarkChild.waitUntilReady(child, name: "all-in-one", http: http, base: base)
            let before = try await committedCount(http, base: base)
            let publisher = try makePublisher(clientID: "bench-pub2-\(runID)")
            let result = try await withThrowingTaskGroup(of: Void.self) { group -> EndToEnd in
                group.addTask { try await publisher.run() }
                try await publisher.waitUntilConnected()
                let payloads = makePayloads(topicPrefix: runID)
                let cpuStart = (ProcessStats.cpuSeconds(pid: pid) ?? 0, ProcessStats.cpuSeconds(named: "mosquitto"),
                                ProcessStats.cpuSeconds(named: "postgres"), ProcessStats.cpuSeconds(pid: getpid()) ?? 0)
                let start = ContinuousClock.now
                try await publishAll(publisher, topics: { i in "farmiq/v1/bench-\(runID)/farm/barn/dev-\(i % 50)/telemetry" }, payloads: payloads)
                // Every 100 ms (±1% of a 10 s run). Polled every 20 ms, the scrapes once took a sixth of the child's
                // CPU, when each counted the pending outbox rows by a scan of the backlog (now running totals,
                // migration 11); kept at 100 ms so figures stay comparable with the earlier ones.
                // A run that stops short (messages rejected, a stalled child) ends with an error, not a wait forever.
                var committed = 0, lastProgress = ContinuousClock.now
                while committed < configuration.messages {
                    try await Task.sleep(for: .milliseconds(100))
                    let now = try await committedCount(http, base: base) - before
                    if now > committed { (committed, lastProgress) = (now, .now) }
                    guard ContinuousClock.now - lastProgress < .seconds(30) else {
                        throw EdgeError(.upstreamUnavailable, "bench ingest: \(committed) of \(configuration.messages) messages committed, none for 30 s (see the child's rejects)")
                    }
                }
                let wall = (ContinuousClock.now - start).seconds
                let result = EndToEnd(
                    rate: Double(configuration.messages) / wall,
                    peakRSS: ProcessStats.peakRSS(pid: pid) ?? 0,
                    gatewayCPU: (ProcessStats.cpuSeconds(pid: pid) ?? 0) - cpuStart.0,
                    brokerCPU: ProcessStats.cpuSeconds(named: "mosquitto") - cpuStart.1,
                    postgresCPU: ProcessStats.cpuSeconds(named: "postgres") - cpuStart.2,
                    publisherCPU: (ProcessStats.cpuSeconds(pid: getpid()) ?? 0) - cpuStart.3,
                    wall: wall,
                    database: (try? DatabaseURL(parsing: configuration.databaseURL).description) ?? "?")
                await publisher.disconnect()
                group.cancelAll()
                return result
            }
            try await http.shutdown()
            return result
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    private func committedCount(_ http: HTTPClient, base: String) async throws -> Int {
        let response = try await http.execute(HTTPClientRequest(url: base + "/metrics"), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 16 << 20)
        let text = String(buffer: body)
        for line in text.split(separator: "\n") where line.hasPrefix("farmiq_ingest_messages_total{kind=\"telemetry\"}") {
            if let value = line.split(separator: " ").last.flatMap({ Double($0) }) { return Int(value) }
        }
        return 0
    }

    // MARK: Publishing

    private func makePublisher(clientID: String) throws -> MQTTClient {
        var config = try MQTTClientConfiguration(url: configuration.mqttURL, clientID: clientID)
        config.cleanStart = true
        return MQTTClient(configuration: config, logger: logger)
    }

    /// Envelopes prepared before timing starts, so the figures measure MQTT and storage, not JSON text building.
    private func makePayloads(topicPrefix: String?) -> [ByteBuffer] {
        let metrics = ["temperature", "humidity", "co2", "ammonia", "water.total", "feed.total"]
        let now = Timestamp.now()
        var random = SplitMix64(seed: 4)
        return (0..<configuration.messages).map { index in
            let readings = (0..<configuration.readingsPerMessage).map { r in
                "{\"metric\":\"\(metrics[r % metrics.count])\",\"value\":\(20 + (index + r) % 17),\"unit\":\"u\"}"
            }.joined(separator: ",")
            // 1 ms apart and all in the past: a run longer than the clock-skew tolerance must not reach the future.
            let at = now.adding(milliseconds: Int64(index - configuration.messages))
            let eventID = configuration.randomEventIDs ? EventID.v4(using: &random) : EventID.v7(at: at, using: &random)
            return ByteBuffer(string: "{\"schema_version\":1,\"event_id\":\"\(eventID)\",\"event_type\":\"telemetry.reading\",\"occurred_at\":\"\(at.rfc3339)\",\"payload\":{\"readings\":[\(readings)]}}")
        }
    }

    /// Publishes every payload with at most `window` QoS 1 publishes awaiting their PUBACK.
    private func publishAll(_ client: MQTTClient, topics: @Sendable (Int) -> String, payloads: [ByteBuffer]) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, payload) in payloads.enumerated() {
                if index >= configuration.window { try await group.next() }
                let topic = topics(index)
                group.addTask { try await client.publish(topic: topic, payload: payload, qos: .atLeastOnce) }
            }
            try await group.waitForAll()
        }
    }

    private func format(_ value: Double) -> String {
        String(format: "%.1f", value)
    }
}
