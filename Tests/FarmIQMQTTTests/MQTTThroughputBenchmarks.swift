import Foundation
import NIOCore
import Testing

@testable import FarmIQMQTT

/// Throughput loops against Mosquitto; run with `FARMIQ_MQTT_BENCH=1 swift test -c release --filter Throughput`.
@Suite("MQTT throughput", .enabled(if: ProcessInfo.processInfo.environment["FARMIQ_MQTT_BENCH"] != nil), .serialized)
struct MQTTThroughputBenchmarks {
    static let count = Int(ProcessInfo.processInfo.environment["FARMIQ_MQTT_BENCH_COUNT"] ?? "") ?? 100_000
    static let payload = ByteBuffer(string: String(repeating: "x", count: 200))

    /// Publishes `count` QoS 1 messages with `concurrency` publishes outstanding.
    static func publishAll(_ client: MQTTClient, topic: String, count: Int, concurrency: Int = 2_000) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            while next < min(concurrency, count) {
                group.addTask { try await client.publish(topic: topic, payload: payload, qos: .atLeastOnce) }
                next += 1
            }
            while try await group.next() != nil {
                if next < count {
                    group.addTask { try await client.publish(topic: topic, payload: payload, qos: .atLeastOnce) }
                    next += 1
                }
            }
        }
    }

    @Test func publisherOnly() async throws {
        let topic = TestBroker.uniqueTopic()
        try await withConnectedClient(TestBroker.configuration()) { publisher in
            let start = ContinuousClock.now
            try await Self.publishAll(publisher, topic: topic, count: Self.count)
            print("[mqtt-bench] publisher: \(Self.count) QoS1 publish+PUBACK: \(MQTTClientIntegrationTests.rate(Self.count, ContinuousClock.now - start)) msg/s")
        }
    }

    @Test func subscriberFromMosquittoPub() async throws {
        let topic = TestBroker.uniqueTopic()
        try await withConnectedClient(TestBroker.configuration()) { subscriber in
            let received = LockedBox(0)
            let consumer = Task {
                var count = 0
                for await message in subscriber.messages {
                    subscriber.acknowledge(message)
                    count += 1
                    if count == Self.count { break }
                }
                received.withValue { $0 = count }
            }
            _ = try await subscriber.subscribe([MQTTSubscription(topicFilter: topic, qos: .atLeastOnce)])
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_pub")
            process.arguments = ["-h", "127.0.0.1", "-t", topic, "-q", "1", "-l", "-V", "mqttv5"]
            let input = Pipe()
            process.standardInput = input
            try process.run()
            let line = String(repeating: "x", count: 200) + "\n"
            let chunk = Data(String(repeating: line, count: 1000).utf8)
            let start = ContinuousClock.now
            for _ in 0..<(Self.count / 1000) { input.fileHandleForWriting.write(chunk) }
            try input.fileHandleForWriting.close()
            await consumer.value
            let elapsed = ContinuousClock.now - start
            process.waitUntilExit()
            #expect(received.withValue { $0 } == Self.count)
            print("[mqtt-bench] subscriber (mosquitto_pub -l source, ack each): \(MQTTClientIntegrationTests.rate(Self.count, elapsed)) msg/s")
        }
    }

    @Test func endToEnd() async throws {
        let topic = TestBroker.uniqueTopic()
        try await withConnectedClient(TestBroker.configuration()) { subscriber in
            let consumer = Task {
                var count = 0
                for await message in subscriber.messages {
                    subscriber.acknowledge(message)
                    count += 1
                    if count == Self.count { break }
                }
            }
            _ = try await subscriber.subscribe([MQTTSubscription(topicFilter: topic, qos: .atLeastOnce)])
            try await withConnectedClient(TestBroker.configuration()) { publisher in
                let start = ContinuousClock.now
                try await Self.publishAll(publisher, topic: topic, count: Self.count)
                await consumer.value
                print("[mqtt-bench] end to end (our publisher → our subscriber, ack each): \(MQTTClientIntegrationTests.rate(Self.count, ContinuousClock.now - start)) msg/s")
            }
        }
    }
}
