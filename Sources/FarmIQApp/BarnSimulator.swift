import Foundation
import FarmIQCore
import FarmIQMQTT
import Logging
import NIOCore

/// `farmiq-edge simulate`: barn devices publishing realistic telemetry over MQTT QoS 1.
///
/// Device `i` is a climate sensor (temperature, humidity, CO2, ammonia) or, every third one, a
/// water and feed meter whose counters only grow. Values drift slowly with a daily cycle. Each device
/// is its own MQTT client with user name `{tenant}/{farm}/{barn}/{device}`, as the broker ACL expects.
public struct BarnSimulator: Sendable {
    public struct Configuration: Sendable {
        public var mqttURL: String
        public var password: String?
        public var tenantID: String
        public var farmID: String
        public var barns: Int
        public var devices: Int
        /// Messages per second per device.
        public var rate: Double
        /// Stop after this many messages in all (nil: run until cancelled).
        public var totalMessages: Int?

        public init(mqttURL: String, password: String?, tenantID: String, farmID: String, barns: Int, devices: Int, rate: Double, totalMessages: Int?) {
            self.mqttURL = mqttURL
            self.password = password
            self.tenantID = tenantID
            self.farmID = farmID
            self.barns = barns
            self.devices = devices
            self.rate = rate
            self.totalMessages = totalMessages
        }
    }

    let configuration: Configuration
    let logger: Logger

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The address of simulated device `index` (0-based).
    public func address(of index: Int) -> DeviceAddress {
        DeviceAddress(
            tenantID: configuration.tenantID, farmID: configuration.farmID,
            barnID: "barn-\(index % max(1, configuration.barns) + 1)",
            deviceID: String(format2: "sensor-", index + 1))!
    }

    public func run() async throws {
        let perDevice = configuration.totalMessages.map { ($0 + configuration.devices - 1) / configuration.devices }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<configuration.devices {
                group.addTask { try await runDevice(index: index, messages: perDevice) }
            }
            try await group.waitForAll()
        }
    }

    private func runDevice(index: Int, messages: Int?) async throws {
        let address = address(of: index)
        let username = "\(address.tenantID)/\(address.farmID)/\(address.barnID)/\(address.deviceID)"
        var mqttConfiguration = try MQTTClientConfiguration(
            url: configuration.mqttURL, clientID: "sim-\(address.tenantID)-\(address.deviceID)",
            username: username, password: configuration.password)
        mqttConfiguration.cleanStart = false
        let client = MQTTClient(configuration: mqttConfiguration, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            try await client.waitUntilConnected()
            try await publish(event: "device.status", payload: "{\"status\":\"online\",\"firmware\":\"sim-1.0\"}", address: address, client: client)
            var generator = SystemRandomNumberGenerator()
            var model = DeviceModel(kind: index % 3 == 2 ? .meter : .climate, seed: Double(index))
            let interval = Duration.seconds(1 / max(configuration.rate, 0.001))
            var sent = 0
            while !Task.isCancelled {
                if let messages, sent >= messages { break }
                let now = Timestamp.now()
                let readings = model.next(at: now, using: &generator)
                try await publish(event: "telemetry.reading", payload: "{\"readings\":[\(readings)]}", address: address, client: client, at: now)
                sent += 1
                try await Task.sleep(for: interval)
            }
            await client.disconnect()
            group.cancelAll()
        }
    }

    private func publish(event: String, payload: String, address: DeviceAddress, client: MQTTClient, at time: Timestamp = .now()) async throws {
        let kind = event == "telemetry.reading" ? "telemetry" : "event"
        let envelope = "{\"schema_version\":1,\"event_id\":\"\(EventID.v7(at: time))\",\"event_type\":\"\(event)\",\"occurred_at\":\"\(time.rfc3339)\",\"payload\":\(payload)}"
        try await client.publish(topic: "\(address.topicPrefix)/\(kind)", payload: ByteBuffer(string: envelope), qos: .atLeastOnce)
    }
}

/// Slowly drifting barn values with a daily cycle.
struct DeviceModel {
    enum Kind { case climate, meter }

    let kind: Kind
    let seed: Double
    var waterLiters: Double = 0
    var feedKilograms: Double = 0

    init(kind: Kind, seed: Double) {
        self.kind = kind
        self.seed = seed
    }

    mutating func next<G: RandomNumberGenerator>(at time: Timestamp, using generator: inout G) -> String {
        let day = time.secondsSinceEpoch / 86_400
        let cycle = sin((day - day.rounded(.down)) * 2 * Double.pi)
        func noise(_ scale: Double) -> Double { Double.random(in: -scale...scale, using: &generator) }
        switch kind {
        case .climate:
            let temperature = 24 + 3 * cycle + seed.truncatingRemainder(dividingBy: 2) + noise(0.3)
            let humidity = 65 - 8 * cycle + noise(1.5)
            let co2 = 1400 + 500 * cycle + noise(60)
            let ammonia = 9 + 3 * cycle + noise(0.8)
            return reading("temperature", temperature, "celsius") + "," + reading("humidity", humidity, "percent") + ","
                + reading("co2", co2, "ppm") + "," + reading("ammonia", ammonia, "ppm")
        case .meter:
            waterLiters += max(0, 1.2 + noise(0.4))
            feedKilograms += max(0, 0.35 + noise(0.1))
            return reading("water.total", waterLiters, "liter") + "," + reading("feed.total", feedKilograms, "kilogram")
        }
    }

    private func reading(_ metric: String, _ value: Double, _ unit: String) -> String {
        let rounded = (value * 100).rounded() / 100
        return "{\"metric\":\"\(metric)\",\"value\":\(JSONNumber(rounded).text),\"unit\":\"\(unit)\"}"
    }
}

extension String {
    /// `prefix` followed by `number` zero-padded to two digits.
    init(format2 prefix: String, _ number: Int) {
        self = prefix + (number < 10 ? "0\(number)" : "\(number)")
    }
}
