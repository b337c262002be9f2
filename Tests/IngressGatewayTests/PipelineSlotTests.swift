@testable import IngressGateway
import Synchronization
import Testing

@Suite("PipelineSlot: the validate/commit hand-off")
struct PipelineSlotTests {
    @Test("elements arrive in order, and the producer is never more than one element ahead")
    func orderAndDepth() async throws {
        let slot = PipelineSlot<Int>()
        let produced = Atomic<Int>(0)
        let producer = Task {
            for value in 0..<200 {
                #expect(await slot.put(value))
                produced.add(1, ordering: .sequentiallyConsistent)
            }
            slot.finish()
        }
        var received: [Int] = []
        while let value = await slot.take() {
            // Taken so far: received.count + 1. The producer may have placed one more, not two.
            let ahead = produced.load(ordering: .sequentiallyConsistent) - (received.count + 1)
            #expect(ahead <= 1, "producer \(ahead) elements ahead")
            received.append(value)
            if value % 17 == 0 { try await Task.sleep(for: .milliseconds(1)) }
        }
        await producer.value
        #expect(received == Array(0..<200))
    }

    @Test("finish: take returns what is left, then nil")
    func finishDrains() async {
        let slot = PipelineSlot<String>()
        #expect(await slot.put("last"))
        slot.finish()
        #expect(await slot.take() == "last")
        #expect(await slot.take() == nil)
        #expect(await slot.take() == nil)
    }

    @Test("close: a producer waiting on a full slot is released and refused")
    func closeReleasesProducer() async {
        let slot = PipelineSlot<Int>()
        #expect(await slot.put(1))
        let blocked = Task { await slot.put(2) }
        while !slot.waiting.producer { await Task.yield() }
        slot.close()
        #expect(await blocked.value == false)
        #expect(await slot.put(3) == false)
        #expect(await slot.take() == nil)
    }

    @Test("a consumer waiting on an empty slot wakes for the next element")
    func consumerWakes() async {
        let slot = PipelineSlot<Int>()
        let consumer = Task { await slot.take() }
        while !slot.waiting.consumer { await Task.yield() }
        #expect(await slot.put(42))
        #expect(await consumer.value == 42)
    }
}
