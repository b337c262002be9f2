import FarmIQTestSupport
import Foundation
import Logging
import NIOCore
import Testing

@testable import FarmIQMQTT

enum TestBroker {
    static var url: String {
        ProcessInfo.processInfo.environment["FARMIQ_TEST_MQTT_URL"] ?? "mqtt://127.0.0.1:21883"
    }

    static func configuration(
        clientID: String = "test-\(UUID().uuidString.lowercased())",
        version: MQTTClientConfiguration.ProtocolVersionPreference = .v5
    ) throws -> MQTTClientConfiguration {
        var configuration = try MQTTClientConfiguration(url: url, clientID: clientID)
        configuration.protocolVersion = version
        configuration.minimumReconnectDelay = .milliseconds(20)
        configuration.maximumReconnectDelay = .milliseconds(200)
        return configuration
    }

    static var logger: Logger {
        TestLogFile.logger("mqtt-test", level: ProcessInfo.processInfo.environment["FARMIQ_TEST_LOG"] == nil ? .info : .debug)
    }

    /// A topic prefix no other test (or earlier run) uses.
    static func uniqueTopic() -> String { "farmiq-test/\(UUID().uuidString.lowercased())" }
}

struct TestTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out: \(self.what)" }
}

/// Runs `body` with a deadline.
func withTimeout<T: Sendable>(_ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            throw TestTimeout(what: what)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// Runs a client for the duration of `body`, connected, and shuts it down afterwards.
func withConnectedClient<T: Sendable>(
    _ configuration: MQTTClientConfiguration,
    _ body: @escaping @Sendable (MQTTClient) async throws -> T
) async throws -> T {
    let client = MQTTClient(configuration: configuration, logger: TestBroker.logger)
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            try await client.run()
            return nil
        }
        do {
            try await withTimeout(30, "connect") { try await client.waitUntilConnected() }
            let result = try await body(client)
            await client.disconnect()
            try await group.waitForAll()
            return result
        } catch {
            await client.disconnect()
            try? await group.waitForAll()
            throw error
        }
    }
}

/// Collects inbound messages of a client in the background.
final class MessageCollector: Sendable {
    private let storage = LockedBox<[MQTTMessage]>([])
    private let task: Task<Void, Never>

    /// `acknowledge`: acknowledge each message as it arrives.
    init(_ client: MQTTClient, acknowledge: Bool) {
        let storage = self.storage
        self.task = Task {
            for await message in client.messages {
                if acknowledge { client.acknowledge(message) }
                storage.withValue { $0.append(message) }
            }
        }
    }

    var messages: [MQTTMessage] { self.storage.withValue { $0 } }
    var count: Int { self.storage.withValue { $0.count } }

    func removeAll() -> [MQTTMessage] { self.storage.withValue { let all = $0; $0 = []; return all } }

    /// Waits until at least `count` messages arrived.
    func wait(for count: Int, seconds: Double = 30) async throws {
        try await withTimeout(seconds, "\(count) messages (have \(self.count))") {
            while self.count < count { try await Task.sleep(for: .milliseconds(5)) }
        }
    }

    deinit { self.task.cancel() }
}

final class LockedBox<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withValue<R>(_ body: (inout Value) -> R) -> R {
        self.lock.lock()
        defer { self.lock.unlock() }
        return body(&self.value)
    }
}

extension MQTTPacketDecoder {
    /// Decodes one packet with a fresh decoder.
    static func decodeOnce(
        version: MQTTProtocolVersion, maximumPacketSize: Int = MQTTPacketDecoder.defaultMaximumPacketSize, from buffer: inout ByteBuffer
    ) throws(MQTTError) -> MQTTPacket? {
        var decoder = MQTTPacketDecoder(version: version, maximumPacketSize: maximumPacketSize)
        return try decoder.decode(from: &buffer)
    }
}
