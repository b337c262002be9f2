import AsyncHTTPClient
@testable import CloudSim
import FarmIQCore
import Foundation
import NIOHTTP1
import Testing

@Suite("cloud-sim events")
struct CloudSimEventsTests {
    @Test func acceptsThenDedupesAcrossRequestsAndWithinABatch() async throws {
        try await CloudSimHarness.run { (sim: CloudSimHarness) async throws in
            let a = Fixtures.uuid(), b = Fixtures.uuid()
            let first = try await sim.postEvents([Fixtures.event(id: a), Fixtures.event(id: b), Fixtures.event(id: a)])
            #expect(first.status == 200)
            #expect(first.results.map(\.id) == [a, b, a])
            #expect(first.results.map(\.status) == ["accepted", "accepted", "duplicate"])

            // Same event id under another tenant is a different event.
            let second = try await sim.postEvents([Fixtures.event(id: a), Fixtures.event(tenant: "tenant-b", id: a)])
            #expect(second.results.map(\.status) == ["duplicate", "accepted"])

            let stats = try await sim.controller.stats()
            #expect(stats.accepted == 3)
            #expect(stats.duplicate == 2)
            #expect(stats.uniqueEvents == 3)
            #expect(stats.batches == 2)
            #expect(stats.redeliveredEvents == 1)
            #expect(try await sim.controller.countStoredEvents() == 3)
            let record = try #require(try await sim.controller.event(tenantID: "tenant-a", eventID: a))
            #expect(record.receiveCount == 3)

            let admin = try await sim.send(.GET, "/admin/events/tenant-a/\(a)", token: nil)
            #expect(admin.status == 200)
            #expect(admin.json?["receive_count"] == .number(JSONNumber(3)))
            let missing = try await sim.send(.GET, "/admin/events/tenant-a/\(Fixtures.uuid())", token: nil)
            #expect(missing.status == 404)
        }
    }

    @Test func dedupeSurvivesARestart() async throws {
        let directory = CloudSimHarness.temporaryDirectory()
        let ids = (0..<50).map { _ in Fixtures.uuid() }
        try await CloudSimHarness.run(dataDirectory: directory) { (sim: CloudSimHarness) async throws in
            let reply = try await sim.postEvents(ids.map { Fixtures.event(id: $0) })
            #expect(reply.results.allSatisfy { $0.status == "accepted" })
        }
        try await CloudSimHarness.run(dataDirectory: directory) { (sim: CloudSimHarness) async throws in
            let extra = Fixtures.uuid()
            let reply = try await sim.postEvents(ids.map { Fixtures.event(id: $0) } + [Fixtures.event(id: extra)])
            #expect(reply.results.dropLast().allSatisfy { $0.status == "duplicate" })
            #expect(reply.results.last?.status == "accepted")
            let stats = try await sim.controller.stats()
            #expect(stats.accepted == 51)
            #expect(stats.duplicate == 50)
            #expect(stats.uniqueEvents == 51)
            #expect(stats.batches == 2)
            #expect(try await sim.controller.countStoredEvents() == 51)
        }
    }

    @Test func validatesEachEvent() async throws {
        try await CloudSimHarness.run { (sim: CloudSimHarness) async throws in
            let good = Fixtures.uuid()
            let events = [
                Fixtures.event(id: good),
                Fixtures.event(tenant: "bad tenant"),
                Fixtures.event(id: "0193A3C1-7B2E-7C3A-9F4D-2B8E5A1C0D11"),
                Fixtures.event(type: "Telemetry"),
                Fixtures.event(occurredAt: "yesterday"),
                Fixtures.event(payload: "[1,2]"),
                Fixtures.event().replacingOccurrences(of: "\"schema_version\":1,", with: ""),
                Fixtures.event().replacingOccurrences(of: "\"trace_id\":null", with: "\"trace_id\":\"xyz\""),
                Fixtures.event().replacingOccurrences(of: "\"farm_id\":\"farm-1\",", with: ""),
                "42",
            ]
            let reply = try await sim.postEvents(events)
            #expect(reply.status == 200)
            let results = reply.results
            #expect(results.count == events.count)
            #expect(results[0].status == "accepted")
            #expect(results[0].id == good)
            for result in results.dropFirst() {
                #expect(result.status == "rejected")
                #expect(result.reason?.isEmpty == false)
            }
            #expect(results[1].reason?.contains("tenant_id") == true)
            #expect(results[2].reason?.contains("event_id") == true)
            #expect(results[2].id == "0193A3C1-7B2E-7C3A-9F4D-2B8E5A1C0D11")
            #expect(results[3].reason?.contains("event_type") == true)
            #expect(results[4].reason?.contains("occurred_at") == true)
            #expect(results[5].reason?.contains("payload") == true)
            #expect(results[6].reason?.contains("schema_version") == true)
            #expect(results[7].reason?.contains("trace_id") == true)
            #expect(results[8].reason?.contains("farm_id") == true)
            let stats = try await sim.controller.stats()
            #expect(stats.accepted == 1)
            #expect(stats.rejected == events.count - 1)
        }
    }

    @Test func rejectsChosenEventTypesAndLetsTheRestThrough() async throws {
        try await CloudSimHarness.run(configure: { $0.faults.rejectEventTypes = ["poison.pill"] }) { (sim: CloudSimHarness) async throws in
            let reply = try await sim.postEvents([Fixtures.event(), Fixtures.event(type: "poison.pill"), Fixtures.event(type: "device.status")])
            #expect(reply.results.map(\.status) == ["accepted", "rejected", "accepted"])
            #expect(reply.results[1].reason?.contains("poison.pill") == true)

            // At run time through the admin API.
            let set = try await sim.send(.POST, "/admin/faults", body: Array(#"{"reject_event_types":["device.status"]}"#.utf8), token: nil)
            #expect(set.status == 200)
            let again = try await sim.postEvents([Fixtures.event(type: "poison.pill"), Fixtures.event(type: "device.status")])
            #expect(again.results.map(\.status) == ["accepted", "rejected"])
        }
    }

    @Test func refusesMalformedBatches() async throws {
        try await CloudSimHarness.run { (sim: CloudSimHarness) async throws in
            #expect(try await sim.postEvents(Array("not json".utf8)).status == 400)
            #expect(try await sim.postEvents(Array("[]".utf8)).status == 400)
            #expect(try await sim.postEvents(Fixtures.batch([Fixtures.event()], batchID: "nope")).status == 400)
            #expect(try await sim.postEvents(Fixtures.batch([Fixtures.event()], edgeID: "")).status == 400)
            #expect(try await sim.postEvents(Fixtures.batch([])).status == 400)
            let noEvents = Array(#"{"edge_id":"e","batch_id":"0193a3c1-7b2e-7c3a-9f4d-2b8e5a1c0d11"}"#.utf8)
            #expect(try await sim.postEvents(noEvents).status == 400)
            #expect(try await sim.controller.stats().batches == 0)
        }
    }

    @Test func refusesMoreThanAThousandEvents() async throws {
        try await CloudSimHarness.run { (sim: CloudSimHarness) async throws in
            let thousand = (0..<1000).map { _ in Fixtures.event() }
            let ok = try await sim.postEvents(thousand)
            #expect(ok.status == 200)
            #expect(ok.results.count == 1000)
            let tooMany = try await sim.postEvents(thousand + [Fixtures.event()])
            #expect(tooMany.status == 413)
            #expect(try await sim.controller.stats().accepted == 1000)
        }
    }

    @Test func requiresTheBearerToken() async throws {
        try await CloudSimHarness.run { (sim: CloudSimHarness) async throws in
            let body = Fixtures.batch([Fixtures.event()])
            let missing = try await sim.postEvents(body, token: nil)
            #expect(missing.status == 401)
            #expect(missing.headers.first(name: "WWW-Authenticate")?.hasPrefix("Bearer") == true)
            #expect(try await sim.postEvents(body, token: "wrong").status == 401)
            #expect(try await sim.postEvents(body, token: CloudSimHarness.token + "x").status == 401)
            #expect(try await sim.postEvents(body, headers: [("Authorization", "Basic Zm9vOmJhcg==")]).status == 401)
            #expect(try await sim.send(.PUT, "/api/v1/edge/media/tenant-a/\(Fixtures.uuid())", body: [1], token: nil).status == 401)
            let stats = try await sim.controller.stats()
            #expect(stats.unauthorized == 5)
            #expect(stats.accepted == 0)
            #expect(try await sim.postEvents(body).status == 200)
        }
    }

    @Test func gzipRequestsAndResponses() async throws {
        try await CloudSimHarness.run { (sim: CloudSimHarness) async throws in
            let ids = (0..<20).map { _ in Fixtures.uuid() }
            let body = Gzip.compress(Fixtures.batch(ids.map { Fixtures.event(id: $0) }))
            let reply = try await sim.postEvents(body, headers: [("Content-Encoding", "gzip"), ("Accept-Encoding", "gzip")])
            #expect(reply.status == 200)
            #expect(reply.headers.first(name: "Content-Encoding") == "gzip")
            let inflated = try Gzip.decompress(reply.body, limit: 1 << 20)
            let results = CloudSimHarness.Reply(status: 200, headers: [:], body: inflated).results
            #expect(results.map(\.id) == ids)
            #expect(results.allSatisfy { $0.status == "accepted" })

            // No Accept-Encoding: plain JSON back.
            let plain = try await sim.postEvents(Gzip.compress(Fixtures.batch([Fixtures.event(id: ids[0])])), headers: [("Content-Encoding", "gzip")])
            #expect(plain.headers.first(name: "Content-Encoding") == nil)
            #expect(plain.results.first?.status == "duplicate")

            #expect(try await sim.postEvents(Array("garbage".utf8), headers: [("Content-Encoding", "gzip")]).status == 400)
            let truncated = Array(body.prefix(body.count / 2))
            #expect(try await sim.postEvents(truncated, headers: [("Content-Encoding", "gzip")]).status == 400)
            #expect(try await sim.postEvents(Fixtures.batch([Fixtures.event()]), headers: [("Content-Encoding", "br")]).status == 415)
        }
    }

    @Test func refusesGzipBombs() async throws {
        try await CloudSimHarness.run { (sim: CloudSimHarness) async throws in
            // 65 MiB of zeros is ~65 KiB compressed; the default bound is 64 MiB.
            let bomb = Gzip.compress([UInt8](repeating: 0, count: 65 * 1024 * 1024), level: 9)
            #expect(bomb.count < 1024 * 1024)
            let reply = try await sim.postEvents(bomb, headers: [("Content-Encoding", "gzip")])
            #expect(reply.status == 413)
            #expect(try await sim.controller.stats().batches == 0)
        }
        try await CloudSimHarness.run(configure: { $0.maxDecompressedBytes = 4096 }) { (sim: CloudSimHarness) async throws in
            let big = Gzip.compress(Fixtures.batch((0..<100).map { _ in Fixtures.event() }))
            #expect(try await sim.postEvents(big, headers: [("Content-Encoding", "gzip")]).status == 413)
        }
    }

    @Test func refusesOversizedBodies() async throws {
        try await CloudSimHarness.run(configure: { $0.maxRequestBytes = 1024 }) { (sim: CloudSimHarness) async throws in
            let reply = try await sim.postEvents(Fixtures.batch((0..<20).map { _ in Fixtures.event() }))
            #expect(reply.status == 413)
        }
    }
}
