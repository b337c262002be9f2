import AsyncHTTPClient
@testable import CloudSim
import FarmIQCore
import Foundation
import NIOHTTP1
import Testing

@Suite("cloud-sim faults")
struct CloudSimFaultTests {
    @Test func throttlesWithRetryAfter() async throws {
        try await CloudSimHarness.run(configure: {
            $0.faults.failNext = [.throttle]
            $0.faults.retryAfterSeconds = 7
        }) { (sim: CloudSimHarness) async throws in
            let id = Fixtures.uuid()
            let throttled = try await sim.postEvents([Fixtures.event(id: id)])
            #expect(throttled.status == 429)
            #expect(throttled.headers.first(name: "Retry-After") == "7")
            // Nothing was processed: the retry is the first delivery.
            let retry = try await sim.postEvents([Fixtures.event(id: id)])
            #expect(retry.status == 200)
            #expect(retry.results.first?.status == "accepted")

            // At run time through the admin API, then cleared.
            let set = try await sim.send(.POST, "/admin/faults", body: Array(#"{"throttle_rate":1,"retry_after_seconds":3}"#.utf8), token: nil)
            #expect(set.status == 200)
            let again = try await sim.postEvents([Fixtures.event()])
            #expect(again.status == 429)
            #expect(again.headers.first(name: "Retry-After") == "3")
            #expect(try await sim.send(.DELETE, "/admin/faults", token: nil).status == 200)
            #expect(try await sim.postEvents([Fixtures.event()]).status == 200)
            let stats = try await sim.controller.stats()
            #expect(stats.throttled == 2)
            #expect(stats.accepted == 2)
        }
    }

    @Test func injectsServerErrorsAtARate() async throws {
        try await CloudSimHarness.run(configure: { $0.faults.serverErrorRate = 0.5 }) { (sim: CloudSimHarness) async throws in
            var errors = 0, oks = 0
            for _ in 0..<200 {
                let reply = try await sim.postEvents([Fixtures.event()])
                if reply.status == 503 { errors += 1 } else if reply.status == 200 { oks += 1 }
            }
            #expect(errors + oks == 200)
            #expect((50...150).contains(errors), "503s: \(errors)")
            let stats = try await sim.controller.stats()
            #expect(stats.serverErrors == errors)
            #expect(stats.accepted == oks)

            sim.controller.updateFaults { $0.serverErrorRate = 1; $0.serverErrorStatus = 500 }
            #expect(try await sim.postEvents([Fixtures.event()]).status == 500)
            let bad = try await sim.send(.POST, "/admin/faults", body: Array(#"{"error_rate":2}"#.utf8), token: nil)
            #expect(bad.status == 400)
            let typo = try await sim.send(.POST, "/admin/faults", body: Array(#"{"eror_rate":1}"#.utf8), token: nil)
            #expect(typo.status == 400)
        }
    }

    @Test func resetsMidResponseAfterStoring() async throws {
        try await CloudSimHarness.run(configure: { $0.faults.failNext = [.reset] }) { (sim: CloudSimHarness) async throws in
            let id = Fixtures.uuid()
            await #expect(throws: (any Error).self) {
                _ = try await sim.postEvents([Fixtures.event(id: id)])
            }
            // The batch was stored before the reset: the retry is a duplicate, which still means delivered.
            let retry = try await sim.postEvents([Fixtures.event(id: id)])
            #expect(retry.results.first?.status == "duplicate")
            let stats = try await sim.controller.stats()
            #expect(stats.resets == 1)
            #expect(stats.accepted == 1)
            #expect(stats.duplicate == 1)
        }
    }

    @Test func resetsBeforeProcessing() async throws {
        try await CloudSimHarness.run(configure: { $0.faults.failNext = [.resetBeforeProcessing, .reset] }) { (sim: CloudSimHarness) async throws in
            let id = Fixtures.uuid()
            await #expect(throws: (any Error).self) {
                _ = try await sim.postEvents([Fixtures.event(id: id)])
            }
            #expect(try await sim.controller.stats().accepted == 0)
            await #expect(throws: (any Error).self) {
                _ = try await sim.postEvents([Fixtures.event(id: id)])
            }
            #expect(try await sim.postEvents([Fixtures.event(id: id)]).results.first?.status == "duplicate")
        }
    }

    @Test func goesDownRefusingConnectionsThenComesBackOnTheSamePort() async throws {
        try await CloudSimHarness.run { (sim: CloudSimHarness) async throws in
            #expect(try await sim.postEvents([Fixtures.event()]).status == 200)
            let started = ContinuousClock.now
            sim.controller.goDown(for: .milliseconds(4000))
            // The listener closes (after a short grace for requests in flight): connections are refused.
            // (AsyncHTTPClient itself retries connecting until its deadline, so probe with a plain socket.)
            var refused = false
            for _ in 0..<100 where !refused {
                refused = !CloudSimHarness.canConnect(port: sim.port)
                if !refused { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(refused)
            #expect(try await sim.controller.stats().isDown)
            let port = await sim.nextBind()
            #expect(port == sim.port)
            #expect(ContinuousClock.now - started >= .milliseconds(3900))
            #expect(try await sim.postEventsAfterRestart([Fixtures.event()]).status == 200)
            #expect(try await sim.controller.stats().accepted == 2)
        }
    }

    /// (3 s down: a period that ends before the loaded server acts on it is skipped, and no rebind would follow.)
    @Test func goesDownThroughTheAdminAPI() async throws {
        try await CloudSimHarness.run { (sim: CloudSimHarness) async throws in
            // `Connection: close`: the server drops its connections when it goes down; a pooled one
            // could otherwise be picked for the next request just as it closes (seen under CI load).
            let reply = try await sim.send(
                .POST, "/admin/faults", body: Array(#"{"down_for_ms":3000}"#.utf8), token: nil, headers: [("Connection", "close")])
            #expect(reply.status == 200)
            #expect(await sim.nextBind() == sim.port)
            #expect(try await sim.postEventsAfterRestart([Fixtures.event()]).status == 200)
        }
    }

    @Test func startsDownWhenConfigured() async throws {
        let started = ContinuousClock.now
        try await CloudSimHarness.run(configure: { $0.faults.downFor = .milliseconds(600) }) { (sim: CloudSimHarness) async throws in
            #expect(ContinuousClock.now - started >= .milliseconds(550))
            #expect(try await sim.postEvents([Fixtures.event()]).status == 200)
        }
    }

    @Test func unavailableModeAnswers503() async throws {
        try await CloudSimHarness.run { (sim: CloudSimHarness) async throws in
            let wentDown = ContinuousClock.now
            sim.controller.goDown(for: .seconds(30), mode: .unavailable)
            let reply = try await sim.postEvents([Fixtures.event()])
            // The time left, rounded up; a loaded machine may take seconds to answer.
            let left = 30 - Int((ContinuousClock.now - wentDown).components.seconds)
            #expect(reply.status == 503)
            #expect(Int(reply.headers.first(name: "Retry-After") ?? "") ?? 0 >= left - 1)
            // Admin still answers while the API is "down".
            #expect(try await sim.send(.GET, "/admin/stats", token: nil).json?["down"] == .bool(true))
            #expect(try await sim.send(.POST, "/admin/up", token: nil).status == 200)
            #expect(try await sim.postEvents([Fixtures.event()]).status == 200)
            #expect(try await sim.controller.stats().unavailable == 1)
        }
    }

    @Test func addsLatency() async throws {
        // A latency far above what a loaded 2-core machine adds on its own (a full test run has starved a
        // request for 3.5 s), so "faster than the latency" after clearing it proves the fault is gone without
        // a tight timing bound.
        try await CloudSimHarness.run(configure: { $0.faults.latency = .seconds(6) }) { (sim: CloudSimHarness) async throws in
            let start = ContinuousClock.now
            #expect(try await sim.postEvents([Fixtures.event()]).status == 200)
            #expect(ContinuousClock.now - start >= .seconds(6))
            sim.controller.updateFaults { $0.latency = .zero }
            let quick = ContinuousClock.now
            _ = try await sim.send(.GET, "/health/live", token: nil)
            #expect(ContinuousClock.now - quick < .seconds(6))
        }
    }

    @Test func recordsEventsInFlightInTwoBatchesAtOnce() async throws {
        // The latency keeps each batch in flight long enough that two sent at once overlap even on a starved machine.
        try await CloudSimHarness.run(configure: { $0.faults.latency = .seconds(5) }) { (sim: CloudSimHarness) async throws in
            // Sequential batches never overlap.
            let solo = Fixtures.uuid()
            _ = try await sim.postEvents([Fixtures.event(id: solo)])
            _ = try await sim.postEvents([Fixtures.event(id: solo)])
            var stats = try await sim.controller.stats()
            #expect(stats.maxConcurrentSameEvent == 1)
            #expect(stats.overlappingEvents == 0)

            // The same two events sent by two senders at once do.
            let ids = [Fixtures.uuid(), Fixtures.uuid()]
            let body = Fixtures.batch(ids.map { Fixtures.event(id: $0) })
            async let first = sim.postEvents(body)
            async let second = sim.postEvents(Fixtures.batch(ids.map { Fixtures.event(id: $0) } + [Fixtures.event()]))
            let replies = try await [first, second]
            #expect(replies.allSatisfy { $0.status == 200 })
            stats = try await sim.controller.stats()
            #expect(stats.maxConcurrentSameEvent == 2)
            #expect(stats.overlappingEvents == 2)
            #expect(Set(stats.overlappingSample) == Set(ids.map { "tenant-a/\($0)" }))
            #expect(stats.maxBatchesInFlight == 2)
            #expect(stats.batchesInFlight == 0)
            let record = try #require(try await sim.controller.event(tenantID: "tenant-a", eventID: ids[0]))
            #expect(record.receiveCount == 2)
            #expect(record.maxConcurrentInFlight == 2)
            let soloRecord = try #require(try await sim.controller.event(tenantID: "tenant-a", eventID: solo))
            #expect(soloRecord.maxConcurrentInFlight == 1)

            let json = try await sim.send(.GET, "/admin/stats", token: nil).json
            #expect(json?["max_concurrent_same_event"] == .number(JSONNumber(2)))
            #expect(json?["accepted"] == .number(JSONNumber(4)))
        }
    }
}
