import AsyncHTTPClient
import FarmIQCore
import FarmIQMQTT
import Foundation
import Logging
import MultipartKit
import NIOCore
import NIOHTTP1

/// `farmiq-edge simulate --stations N`: weigh stations (a scale platform with a camera above it, `contracts.md` §3a).
///
/// Each station is one registered device (`{tenant}/{farm}/{barn}/station-NN`) that uses its device token as its
/// MQTT password and as its bearer token for image upload. Its camera hangs at its own height, and its flock grows
/// half a day a session (``FlockGrowth``, day 14 to 42, then a new flock). Every `interval` it weighs 1–5 birds:
/// `weighvision.session.started`, about 30 `weighvision.weight.reading`s that settle on the true total with scale
/// noise (±20 g) and a few unstable spikes (a bird stepping), then `weighvision.session.ended`; during the session
/// it uploads `imagesPerSession` top views (``TopViewScene``). Each image's ground truth (true count and weights)
/// goes to `{groundTruthDirectory}/{event_id}.json`, for benchmarks; the edge never reads it.
public struct WeighStationSimulator: Sendable {
    public struct Station: Sendable {
        public let address: DeviceAddress
        public let token: String

        public init(address: DeviceAddress, token: String) {
            self.address = address
            self.token = token
        }
    }

    public struct Configuration: Sendable {
        public var mqttURL: String
        public var mediaURL: String
        public var stations: [Station]
        public var interval: Duration
        public var imagesPerSession: Int
        public var groundTruthDirectory: String?
        /// Stop after this many sessions per station (nil: run until cancelled).
        public var sessionsPerStation: Int?

        public init(mqttURL: String, mediaURL: String, stations: [Station], interval: Duration, imagesPerSession: Int,
                    groundTruthDirectory: String?, sessionsPerStation: Int?) {
            self.mqttURL = mqttURL
            self.mediaURL = mediaURL.hasSuffix("/") ? String(mediaURL.dropLast()) : mediaURL
            self.stations = stations
            self.interval = interval
            self.imagesPerSession = imagesPerSession
            self.groundTruthDirectory = groundTruthDirectory
            self.sessionsPerStation = sessionsPerStation
        }
    }

    let configuration: Configuration
    let logger: Logger

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        if let directory = configuration.groundTruthDirectory {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, station) in configuration.stations.enumerated() {
                // Each station's camera hangs at its own height (±15% in apparent area).
                let camera = TopViewScene.Camera.standard.with(pixelsPerKg23: TopViewScene.Camera.standard.pixelsPerKg23 * (0.85 + 0.3 * Double(index % 4) / 3))
                group.addTask { try await self.runStation(station, stationID: "st-\(index + 1)", camera: camera) }
            }
            try await group.waitForAll()
        }
    }

    private func runStation(_ station: Station, stationID: String, camera: TopViewScene.Camera) async throws {
        var mqtt = try MQTTClientConfiguration(
            url: configuration.mqttURL, clientID: "sim-\(station.address.tenantID)-\(station.address.deviceID)",
            username: station.address.description, password: station.token)
        mqtt.cleanStart = false
        let client = MQTTClient(configuration: mqtt, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            try await client.waitUntilConnected()
            // A fast generator seeded from the system's: an image takes about 11 million draws (noise on every
            // channel of 1280×720 pixels), a system call each with `SystemRandomNumberGenerator`.
            var random = SplitMix64(seed: UInt64.random(in: 0...UInt64.max))
            var done = 0
            while !Task.isCancelled {
                if let limit = configuration.sessionsPerStation, done >= limit { break }
                do {
                    // The flock ages half a day a session, from day 14 to day 42, then a new flock (day 14 again).
                    let age = 14 + Double(done % 57) / 2
                    try await weigh(station, stationID: stationID, camera: camera, ageDays: age, client: client, using: &random)
                } catch {
                    logger.warning("simulated weigh session failed", metadata: ["device": "\(station.address)", "error": "\(error)"])
                }
                done += 1
                try await Task.sleep(for: configuration.interval)
            }
            await client.disconnect()
            group.cancelAll()
        }
    }

    /// One session: started, settling readings with spikes, images, ended.
    private func weigh<G: RandomNumberGenerator>(
        _ station: Station, stationID: String, camera: TopViewScene.Camera, ageDays: Double, client: MQTTClient, using random: inout G
    ) async throws {
        let sessionID = EventID.v7()
        let count = Int.random(in: 1...FlockGrowth.capacity(ageDays: ageDays, camera: camera), using: &random)
        let weights = FlockGrowth.weights(count: count, ageDays: ageDays, using: &random)
        let total = weights.reduce(0, +)
        try await publish("weighvision.session.started",
                          "{\"session_id\":\"\(sessionID)\",\"station_id\":\"\(stationID)\",\"animal\":\"broiler\",\"expected_count\":\(count)}",
                          station, client)
        let readings = 30
        let imageAt = Set((0..<configuration.imagesPerSession).map { ($0 + 1) * readings / (configuration.imagesPerSession + 1) })
        for seq in 0..<readings {
            // Settling towards the total (time constant ~4 readings), scale noise ±20 g, a spike now and then.
            let settle = total * (1 - exp(-Double(seq + 1) / 4))
            let spike = Double.random(in: 0..<1, using: &random) < 0.08 ? total * Double.random(in: 0.08...0.2, using: &random) : 0
            let weight = ((settle + spike + Double.random(in: -0.02...0.02, using: &random)) * 1000).rounded() / 1000
            let stable = seq >= 12 && spike == 0
            try await publish("weighvision.weight.reading",
                              "{\"session_id\":\"\(sessionID)\",\"seq\":\(seq),\"weight_kg\":\(weight),\"stable\":\(stable)}", station, client)
            if imageAt.contains(seq) {
                let scene = TopViewScene(weightsKg: weights, camera: camera, layout: .random(using: &random), using: &random)
                try await upload(scene.jpeg(using: &random), scene: scene, sessionID: sessionID, station: station)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        try await publish("weighvision.session.ended", "{\"session_id\":\"\(sessionID)\",\"reason\":\"completed\"}", station, client)
    }

    private func publish(_ type: String, _ payload: String, _ station: Station, _ client: MQTTClient) async throws {
        let now = Timestamp.now()
        let envelope = "{\"schema_version\":1,\"event_id\":\"\(EventID.v7(at: now))\",\"event_type\":\"\(type)\",\"occurred_at\":\"\(now.rfc3339)\",\"payload\":\(payload)}"
        try await client.publish(topic: "\(station.address.topicPrefix)/event", payload: ByteBuffer(string: envelope), qos: .atLeastOnce)
    }

    /// `POST /api/v1/media/images` (`contracts.md` §3), retried while the edge answers 5xx or is unreachable.
    private func upload(_ jpeg: [UInt8], scene: TopViewScene, sessionID: String, station: Station) async throws {
        let eventID = EventID.v7()
        let boundary = "farmiq-sim-\(eventID.prefix(8))"
        func field(_ name: String, _ value: String) -> MultipartPart {
            MultipartPart(headers: ["Content-Disposition": "form-data; name=\"\(name)\""], body: ByteBuffer(string: value))
        }
        let parts = [
            field("event_id", eventID), field("captured_at", Timestamp.now().rfc3339), field("session_id", sessionID),
            MultipartPart(
                headers: ["Content-Disposition": "form-data; name=\"image\"; filename=\"top.jpg\"", "Content-Type": "image/jpeg"],
                body: ByteBuffer(bytes: jpeg)),
        ]
        var body = ByteBuffer()
        try MultipartSerializer().serialize(parts: parts, boundary: boundary, into: &body)
        var mediaID: String?
        for attempt in 0..<5 {
            var request = HTTPClientRequest(url: configuration.mediaURL + "/api/v1/media/images")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(station.token)")
            request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
            request.body = .bytes(body)
            do {
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                let answer = try await response.body.collect(upTo: 1 << 16)
                if response.status.code == 200 || response.status.code == 201 {
                    if case .string(let id)? = (try? JSONParser.parse(String(buffer: answer)))?["media_id"] { mediaID = id }
                    break
                }
                guard response.status.code >= 500 else {
                    logger.warning("image upload refused", metadata: ["http.status": "\(response.status.code)", "body": "\(String(buffer: answer))"])
                    return
                }
            } catch {
                logger.warning("image upload failed", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
            }
            try await Task.sleep(for: .seconds(1 << attempt))
        }
        if let directory = configuration.groundTruthDirectory {
            let json = scene.groundTruthJSON(mediaID: mediaID, eventID: eventID, sessionID: sessionID)
            if !FileManager.default.createFile(atPath: "\(directory)/\(eventID).json", contents: Data(json.utf8)) {
                logger.warning("cannot write the ground truth", metadata: ["directory": "\(directory)"])
            }
        }
    }
}
