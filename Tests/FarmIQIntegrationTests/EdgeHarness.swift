import AsyncHTTPClient
import FarmIQApp
import FarmIQCore
import FarmIQMQTT
import FarmIQStorage
import FarmIQTestSupport
import Foundation
import Logging
import NIOCore

/// A `farmiq-edge` process run in this test process (real wiring, HTTP on port 0).
final class InProcessEdge: Sendable {
    let port: Int
    let task: Task<Void, any Error>

    private init(port: Int, task: Task<Void, any Error>) {
        self.port = port
        self.task = task
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    static func start(
        mode: EdgeMode = .allInOne, databaseURL: String, settings: [String: String] = [:], logger: Logger = TestEnvironment.logger,
        volumeUsage: (@Sendable (String) -> Double?)? = nil
    ) async throws -> InProcessEdge {
        var overrides = [
            "FARMIQ_DATABASE_URL": databaseURL,
            "FARMIQ_MQTT_URL": TestEnvironment.mqttURL,
            "FARMIQ_HTTP_PORT": "0",
            "FARMIQ_MQTT_CLIENT_ID": TestEnvironment.uniqueName("it-gw"),
            "FARMIQ_MQTT_SHARE_GROUP": TestEnvironment.uniqueName("it"),
            // Test gateways' sessions must not outlive the run: the broker would queue every later message for them.
            "FARMIQ_MQTT_SESSION_EXPIRY_SECONDS": "30",
            "FARMIQ_MEDIA_ROOT": FileManager.default.temporaryDirectory.path,
        ]
        overrides.merge(settings) { $1 }
        let configuration = try EdgeConfiguration(environment: [:], overrides: overrides)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var process = EdgeProcess(
            mode: mode, configuration: configuration, logger: logger,
            onHTTPBound: { port in continuation.yield(port) }, gracefulShutdownSignals: [])
        if let volumeUsage { process.volumeUsage = volumeUsage }
        // The stream ends when the edge stops, so a start that fails (a migration, a port) is an error here, never
        // a wait for a port that will not come.
        let task = Task {
            defer { continuation.finish() }
            try await process.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await watched("InProcessEdge.start: waiting for the port of \(databaseURL)", { await iterator.next() }) else {
            do {
                try await task.value
            } catch {
                throw EdgeError(.internalError, "the in-process edge stopped before it listened: \(error)")
            }
            throw EdgeError(.internalError, "the in-process edge stopped before it listened")
        }
        let edge = InProcessEdge(port: port, task: task)
        if mode != .telemetryTimeseries { try await watched("InProcessEdge.start: ready \(edge.baseURL)") { try await HTTP.waitUntilReady(edge.baseURL) } }
        return edge
    }

    func stop() async {
        task.cancel()
        await watched("InProcessEdge.stop (port \(port))") { _ = try? await task.value }
    }
}

/// A `farmiq-edge` child process, for tests that kill it (-9) or send it SIGTERM.
final class ChildEdge: Sendable {
    let process: ChildProcess
    let port: Int
    let environment: [String: String]
    let arguments: [String]

    init(arguments: [String] = ["all-in-one"], databaseURL: String, port: Int, settings: [String: String] = [:]) throws {
        var environment = ProcessInfo.processInfo.environment
        environment["FARMIQ_DATABASE_URL"] = databaseURL
        environment["FARMIQ_MQTT_URL"] = TestEnvironment.mqttURL
        environment["FARMIQ_HTTP_PORT"] = "\(port)"
        environment["FARMIQ_LOG_LEVEL"] = "info"
        environment["FARMIQ_MQTT_SESSION_EXPIRY_SECONDS"] = "120"
        environment["FARMIQ_MEDIA_ROOT"] = FileManager.default.temporaryDirectory.path
        environment.merge(settings) { $1 }
        self.environment = environment
        self.arguments = arguments
        self.port = port
        // Each child's JSON log goes to a file named in the test output, for diagnosis.
        let logPath = FileManager.default.temporaryDirectory.appendingPathComponent(TestEnvironment.uniqueName("farmiq-child") + ".log").path
        print("child log: \(logPath)")
        process = try ChildProcess(executable: TestEnvironment.edgeBinary, arguments: arguments, environment: environment, outputPath: logPath)
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// SIGKILL, then waits (without blocking a thread) until the child is gone.
    func kill9() async {
        await process.kill9()
    }

    func terminate() {
        process.send(SIGTERM)
    }

    /// SIGTERM, then SIGKILL if the child has not exited within `grace`. Returns whether it exited in time.
    @discardableResult
    func stop(grace: Duration = .seconds(30)) async -> Bool {
        terminate()
        if await process.waitForExit(timeout: grace) != nil { return true }
        await kill9()
        return false
    }

    /// A new child with the same settings (the restart after a crash).
    func restarted() throws -> ChildEdge {
        try ChildEdge(arguments: arguments, databaseURL: environment["FARMIQ_DATABASE_URL"]!, port: port, settings: environment)
    }

    /// A TCP port that was free a moment ago.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Small HTTP helpers over AsyncHTTPClient.
enum HTTP {
    static func get(_ url: String) async throws -> (status: Int, body: String) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 32 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    static func getJSON(_ url: String) async throws -> JSONValue {
        let (status, body) = try await get(url)
        guard status == 200 else { throw EdgeError(.internalError, "GET \(url) answered \(status): \(body)") }
        return try JSONParser.parse(body)
    }

    static func waitUntilReady(_ baseURL: String, timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let (status, _) = try? await get(baseURL + "/health/ready"), status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw EdgeError(.internalError, "\(baseURL) not ready within \(timeout)")
    }

    /// The value of one sample line of /metrics (exact name with labels), 0 if absent.
    static func metric(_ baseURL: String, _ sample: String) async throws -> Double {
        let (_, body) = try await get(baseURL + "/metrics")
        for line in body.split(separator: "\n") where line.hasPrefix(sample + " ") {
            return Double(line.split(separator: " ").last ?? "0") ?? 0
        }
        return 0
    }
}

/// A device-side publisher: QoS 1, many in flight, counts PUBACKs.
final class TestPublisher: Sendable {
    let client: MQTTClient
    let task: Task<Void, any Error>

    init(clientID: String = TestEnvironment.uniqueName("it-pub")) async throws {
        var configuration = try MQTTClientConfiguration(url: TestEnvironment.mqttURL, clientID: clientID)
        // A persistent session, like a real device: in-flight publishes are resent after a broker restart.
        configuration.cleanStart = false
        configuration.sessionExpiry = .seconds(300)
        let client = MQTTClient(configuration: configuration, logger: TestEnvironment.logger)
        self.client = client
        task = Task { try await client.run() }
        try await watched("TestPublisher: connecting") { try await client.waitUntilConnected() }
    }

    /// Publishes every message (QoS 1, at most `window` awaiting PUBACK); returns the indices that got a PUBACK.
    @discardableResult
    func publish(_ messages: [(topic: String, payload: String)], window: Int = 500,
                 onAck: (@Sendable (Int) -> Void)? = nil) async throws -> Int {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var acked = 0
            for (index, message) in messages.enumerated() {
                if index >= window { try await group.next(); acked += 1 }
                let client = self.client
                group.addTask {
                    try await client.publish(topic: message.topic, payload: ByteBuffer(string: message.payload), qos: .atLeastOnce)
                    onAck?(index)
                }
            }
            while try await group.next() != nil { acked += 1 }
            return acked
        }
    }

    func stop() async {
        await watched("TestPublisher.stop") {
            await client.disconnect()
            task.cancel()
            _ = try? await task.value
        }
    }
}

/// Builders of valid and hostile envelopes.
enum Envelopes {
    static func telemetry(eventID: String = EventID.v7(), at time: Timestamp = .now(), readings: [(String, Double)] = [("temperature", 24.5)],
                          extra: String = "") -> String {
        let list = readings.map { "{\"metric\":\"\($0.0)\",\"value\":\(JSONNumber($0.1).text),\"unit\":\"u\"}" }.joined(separator: ",")
        return "{\"schema_version\":1,\"event_id\":\"\(eventID)\",\"event_type\":\"telemetry.reading\",\"occurred_at\":\"\(time.rfc3339)\"\(extra),\"payload\":{\"readings\":[\(list)]}}"
    }

    static func event(type: String, payload: String, eventID: String = EventID.v7(), at time: Timestamp = .now()) -> String {
        "{\"schema_version\":1,\"event_id\":\"\(eventID)\",\"event_type\":\"\(type)\",\"occurred_at\":\"\(time.rfc3339)\",\"payload\":\(payload)}"
    }

    static func topic(tenant: String, farm: String = "farm-1", barn: String = "barn-1", device: String = "dev-1", kind: String = "telemetry") -> String {
        "farmiq/v1/\(tenant)/\(farm)/\(barn)/\(device)/\(kind)"
    }
}

extension TestPublisher {
    /// Publishes raw bytes (for payloads that are not valid UTF-8).
    func publishBytes(topic: String, bytes: [UInt8]) async throws {
        try await client.publish(topic: topic, payload: ByteBuffer(bytes: bytes), qos: .atLeastOnce)
    }
}

