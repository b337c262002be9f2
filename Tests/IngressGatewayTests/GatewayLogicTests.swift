import FarmIQCore
import FarmIQStorage
@testable import IngressGateway
import TelemetryTimeseries
import Testing

@Suite("Gateway logic")
struct GatewayLogicTests {
    // After the fixtures' occurred_at (2026-11-29T04:48:42Z) and before any real clock reading: a receipt time in the
    // future is refused by the internal batch route.
    let now = Timestamp(rfc3339: "2026-11-29T05:00:00Z")!

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

    @Test("a socket read's messages enter the queue in order, in batches cut at the batch size, and wake a waiting consumer")
    func queueTakesReadsWhole() async {
        let queue = IngestQueue<Int>()
        async let waiting = queue.next(maximum: 4)
        queue.append(contentsOf: [1, 2, 3])
        #expect(await waiting == [1, 2, 3])
        queue.append(contentsOf: [])
        queue.append(contentsOf: [4, 5, 6])
        queue.append(7)
        queue.append(contentsOf: [8, 9])
        #expect(await queue.next(maximum: 4) == [4, 5, 6, 7])
        #expect(await queue.next(maximum: 4) == [8, 9])
        #expect(queue.count == 0)
    }

    @Test("a batch is cut at its byte bound too, and always takes at least one element")
    func queueCutsAtItsWeight() async {
        let queue = IngestQueue<Int>(weight: { $0 })
        queue.append(contentsOf: [40, 40, 30, 100, 5, 5])
        #expect(await queue.next(maximum: 10, maximumWeight: 100) == [40, 40])
        #expect(await queue.next(maximum: 10, maximumWeight: 100) == [30])
        #expect(await queue.next(maximum: 10, maximumWeight: 50) == [100])  // heavier than the bound alone
        #expect(await queue.next(maximum: 1, maximumWeight: 100) == [5])
        #expect(await queue.next(maximum: 10, maximumWeight: 100) == [5])
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
        let items = (0..<3).map { _ in GatewayBatch.Item(topic: "farmiq/v1/t/f/b/d/telemetry", receivedAt: now, envelope: envelope()) }
        let body = GatewayBatch.encode(items)
        let messages = try GatewayBatch.decode(body, validator: EnvelopeValidator())
        #expect(messages.count == 3)
        #expect(messages.allSatisfy { $0.receivedAt == now && $0.address.tenantID == "t" && $0.readings.count == 1 })
        let tampered = GatewayBatch.encode([.init(topic: "farmiq/v1/t/f/b/d/telemetry", receivedAt: now, envelope: Array("{\"x\":1}".utf8))])
        #expect(throws: EdgeError.self) { try GatewayBatch.decode(tampered, validator: EnvelopeValidator()) }
        #expect(throws: EdgeError.self) { try GatewayBatch.decode(Array("[".utf8), validator: EnvelopeValidator()) }
        let counts = try GatewayBatch.decodeCounts(Array(GatewayBatch.encodeCounts(IngestCounts(inserted: 5, duplicates: 2)).utf8))
        #expect(counts == IngestCounts(inserted: 5, duplicates: 2))
    }
}

@Suite("Gateway logic: poison isolation and one event-id space")
struct GatewayIsolationTests {
    let now = Timestamp(millisecondsSinceEpoch: 1_796_000_000_000)

    func message(_ kind: String = "telemetry", id: String = EventID.v7(), device: String = "d") -> ReceivedMessage {
        let type = kind == "telemetry" ? "telemetry.reading" : "device.status"
        let payload = kind == "telemetry" ? "{\"readings\":[{\"metric\":\"temperature\",\"value\":21.5}]}" : "{\"status\":\"online\"}"
        let body = "{\"schema_version\":1,\"event_id\":\"\(id)\",\"event_type\":\"\(type)\",\"occurred_at\":\"\(now.rfc3339)\",\"payload\":\(payload)}"
        return ReceivedMessage(topic: "farmiq/v1/t/f/b/\(device)/\(kind)", payload: Array(body.utf8), receivedAt: now)
    }

    @Test("halves split by message count, keep order and keep each event with its source")
    func halves() {
        let messages = (0..<5).map { _ in message() } + (0..<3).map { message("event", device: "e\($0)") }
            + [ReceivedMessage(topic: "farmiq/v1/t/f/b/d/telemetry", payload: Array("x".utf8), receivedAt: now)]
        let batch = ClassifiedBatch(messages, validator: EnvelopeValidator())
        #expect(batch.count == 9)
        let (first, second) = batch.halves()
        #expect(first.count == 4 && second.count == 5)
        #expect(first.telemetry.count == 4 && second.telemetry.count == 1 && second.events.count == 3 && second.rejects.count == 1)
        #expect(second.eventSources.map(\.topic) == batch.eventSources.map(\.topic))
        // Halving down to singles reaches every message exactly once.
        var singles: [ClassifiedBatch] = []
        var pending = [batch]
        while let next = pending.popLast() {
            if next.count <= 1 { singles.append(next); continue }
            let (a, b) = next.halves()
            pending += [a, b]
        }
        #expect(singles.filter { $0.count == 1 }.count == 9)
    }

    @Test("a poisoned single becomes a commit_failed reject of the same message, fingerprinted")
    func poisoned() {
        let event = message("event", device: "poison-dev")
        let batch = ClassifiedBatch([event], validator: EnvelopeValidator())
        let poisoned = batch.poisoned(cause: "SQLite error 275: poison pill refused")
        #expect(poisoned.telemetry.isEmpty && poisoned.events.isEmpty)
        #expect(poisoned.rejects.map(\.reason) == [.commitFailed])
        #expect(poisoned.rejects[0].detail.contains("poison pill refused"))
        #expect(poisoned.rejects[0].topic == event.topic)
        #expect(poisoned.rejects[0].payloadPrefix == event.payload)
        #expect(poisoned.rejects[0].fingerprint?.count == 32)
    }

    @Test("one (tenant, event_id) in a batch: the first received wins, whatever its topic")
    func firstReceivedWins() {
        let id = EventID.v7()
        let batch = ClassifiedBatch([message("event", id: id), message(id: id), message(id: id)], validator: EnvelopeValidator())
        #expect(batch.events.count == 1)
        #expect(batch.telemetry.isEmpty)
        #expect(batch.duplicates == 2)
    }

    @Test("a payload discarded by the MQTT client is a payload_too_large reject with its size")
    func discardedPayload() {
        let received = ReceivedMessage(topic: "farmiq/v1/t/f/b/d/telemetry", payload: [], receivedAt: now, discardedPayloadSize: 600_000)
        let batch = ClassifiedBatch([received], validator: EnvelopeValidator())
        #expect(batch.rejects.map(\.reason) == [.payloadTooLarge])
        #expect(batch.rejects[0].payloadSize == 600_000)
        #expect(batch.rejects[0].tenantID == "t")
    }

    @Test("the same bad bytes give the same fingerprint; other bytes or topics another")
    func fingerprints() {
        let a = ReceivedMessage(topic: "farmiq/v1/t/f/b/d/telemetry", payload: Array("{bad".utf8), receivedAt: now)
        let b = ReceivedMessage(topic: "farmiq/v1/t/f/b/d/telemetry", payload: Array("{bad".utf8), receivedAt: now.adding(milliseconds: 5))
        let c = ReceivedMessage(topic: "farmiq/v1/t/f/b/e/telemetry", payload: Array("{bad".utf8), receivedAt: now)
        let batch = ClassifiedBatch([a, b, c], validator: EnvelopeValidator())
        #expect(batch.rejects[0].fingerprint == batch.rejects[1].fingerprint)
        #expect(batch.rejects[0].fingerprint != batch.rejects[2].fingerprint)
    }
}
