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
        let topic = Self.fixedTopic ?? TestBroker.uniqueTopic()
        try await withConnectedClient(TestBroker.configuration()) { publisher in
            let start = ContinuousClock.now
            try await Self.publishAll(publisher, topic: topic, count: Self.count)
            print("[mqtt-bench] publisher: \(Self.count) QoS1 publish+PUBACK: \(MQTTClientIntegrationTests.rate(Self.count, ContinuousClock.now - start)) msg/s")
        }
    }

    static var fixedTopic: String? { ProcessInfo.processInfo.environment["FARMIQ_MQTT_BENCH_TOPIC"] }

    /// Receives `count` messages on `FARMIQ_MQTT_BENCH_TOPIC`, acknowledging each; rate from the
    /// first to the last message. Pair with `publisherOnly` (same topic) in another process, or
    /// with `mosquitto_pub`.
    @Test(.enabled(if: fixedTopic != nil)) func subscriberOnly() async throws {
        let topic = Self.fixedTopic!
        try await withConnectedClient(TestBroker.configuration()) { subscriber in
            _ = try await subscriber.subscribe([MQTTSubscription(topicFilter: topic, qos: .atLeastOnce)])
            print("[mqtt-bench] subscriber ready")
            var count = 0
            var first: ContinuousClock.Instant?
            for await message in subscriber.messages {
                if first == nil { first = .now }
                subscriber.acknowledge(message)
                count += 1
                if count == Self.count { break }
            }
            print("[mqtt-bench] subscriber: \(count) QoS1 received+acked: \(MQTTClientIntegrationTests.rate(count, ContinuousClock.now - first!)) msg/s")
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
