import FarmIQCore
import FarmIQStorage
@testable import IngressGateway
import TelemetryTimeseries
import Testing

@Suite("Gateway logic")
struct GatewayLogicTests {
    let now = Timestamp(millisecondsSinceEpoch: 1_796_000_000_000)

    func envelope(_ id: String = EventID.v7(), type: String = "telemetry.reading", payload: String = "{\"readings\":[{\"metric\":\"temperature\",\"value\":21.5}]}") -> [UInt8] {
        Array("{\"schema_version\":1,\"event_id\":\"\(id)\",\"event_type\":\"\(type)\",\"occurred_at\":\"2026-11-29T04:48:42.123Z\",\"payload\":\(payload)}".utf8)
    }

    @Test("a batch is split by owner: telemetry, events, rejects; order kept")
    func classify() {
        let messages = [
            ReceivedMessage(topic: "farmiq/v1/t/f/b/d/telemetry", payload: envelope(), receivedAt: now),
            ReceivedMessage(topic: "farmiq/v1/t/f/b/d/event", payload: envelope(type: "device.status", payload: "{\"status\":\"online\"}"), receivedAt: now),
            ReceivedMessage(topic: "farmiq/v1/t/f/b/d/telemetry", payload: Array("nope".utf8), receivedAt: now),
            ReceivedMessage(topic: "farmiq/v1/t/f/b/d+/telemetry", payload: envelope(), receivedAt: now),
            ReceivedMessage(topic: "farmiq/v1/t/f/b/d/telemetry", payload: envelope(), receivedAt: now),
        ]
        let batch = ClassifiedBatch(messages, validator: EnvelopeValidator())
        #expect(batch.telemetry.count == 2)
        #expect(batch.events.count == 1)
        #expect(batch.rejects.map(\.reason) == [.invalidJSON, .invalidID])
        #expect(batch.rejects[0].tenantID == "t")
        #expect(batch.rejects[1].tenantID == nil)
        #expect(batch.telemetry[0].source.payload == messages[0].payload)
    }

    @Test("the queue hands over everything waiting, up to the batch size, and drains after finish")
    func queueGroupsAndDrains() async {
        let queue = IngestQueue<Int>()
        for i in 0..<7 { queue.append(i) }
        #expect(await queue.next(maximum: 5) == [0, 1, 2, 3, 4])
        #expect(await queue.next(maximum: 5) == [5, 6])
        async let waiting = queue.next(maximum: 5)
        queue.append(42)
        #expect(await waiting == [42])
        queue.append(7)
        queue.finish()
        #expect(await queue.next(maximum: 5) == [7])
        #expect(await queue.next(maximum: 5) == [])
    }

    @Test("backoff ceilings double up to the cap; waits stay within the ceiling")
    func backoff() {
        var backoff = RetryBackoff(base: .milliseconds(100), cap: .seconds(1))
        var ceilings: [Duration] = []
        for _ in 0..<6 {
            let ceiling = backoff.currentCeiling
            ceilings.append(ceiling)
            let wait = backoff.next()
            #expect(wait >= .zero && wait <= ceiling)
        }
        #expect(ceilings == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1)])
        backoff.reset()
        #expect(backoff.currentCeiling == .milliseconds(100))
    }

    @Test("the internal telemetry batch format round-trips and re-validates")
    func batchRequestRoundTrip() throws {
        let items = (0..<3).map { _ in TelemetryBatchRequest.Item(topic: "farmiq/v1/t/f/b/d/telemetry", receivedAt: now, envelope: envelope()) }
        let body = TelemetryBatchRequest.encode(items)
        let messages = try TelemetryBatchRequest.decode(body, validator: EnvelopeValidator())
        #expect(messages.count == 3)
        #expect(messages.allSatisfy { $0.receivedAt == now && $0.address.tenantID == "t" && $0.readings.count == 1 })
        let tampered = TelemetryBatchRequest.encode([.init(topic: "farmiq/v1/t/f/b/d/telemetry", receivedAt: now, envelope: Array("{\"x\":1}".utf8))])
        #expect(throws: EdgeError.self) { try TelemetryBatchRequest.decode(tampered, validator: EnvelopeValidator()) }
        #expect(throws: EdgeError.self) { try TelemetryBatchRequest.decode(Array("[".utf8), validator: EnvelopeValidator()) }
        let counts = try TelemetryBatchRequest.decodeCounts(Array(TelemetryBatchRequest.encodeCounts(IngestCounts(inserted: 5, duplicates: 2)).utf8))
        #expect(counts == IngestCounts(inserted: 5, duplicates: 2))
    }
}
