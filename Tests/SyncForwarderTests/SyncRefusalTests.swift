import FarmIQTestSupport
import AsyncHTTPClient
import CloudSim
import FarmIQCore
import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import Testing
@testable import FarmIQStorage
@testable import SyncForwarder

/// Sync never stalls (issue 10, part 1): the forwarder against a real cloud-sim with a proxy's body limit, a
/// chosen status for chosen events, a wrong endpoint, a slow uplink and a graceful stop mid-drain.
@Suite("Sync refusals", .tags(.postgres), TestServices.servicesRequired)
struct SyncRefusalTests {
    /// `count` device events of type `a.b` whose payload holds `bytes` of random text (barely compressible).
    static func bigEvents(_ count: Int, bytes: Int) -> [DeviceEvent] {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        return (0..<count).map { _ in
            var generator = SystemRandomNumberGenerator()
            let blob = String(decoding: (0..<bytes).map { _ in alphabet[Int(generator.next() % 64)] }, as: UTF8.self)
            return DeviceEvent(
                address: DeviceAddress(tenantID: "tenant-a", farmID: "farm-1", barnID: "barn-1", deviceID: "cam-1")!,
                header: EnvelopeHeader(schemaVersion: 1, eventID: UUID().uuidString.lowercased(), eventType: "a.b",
                                       occurredAt: Timestamp(millisecondsSinceEpoch: 1_796_000_000_000), traceID: nil),
                payload: .object([("blob", .string(blob))]),
                receivedAt: Timestamp(millisecondsSinceEpoch: 1_796_000_000_010))
        }
    }

    static func configuration(_ url: String, maxBatchBytes: Int = 1 << 20, requestTimeout: Duration = .seconds(10)) -> SyncForwarderConfiguration {
        var configuration = SyncForwarderIntegrationTests.configuration(url, requestTimeout: requestTimeout)
        configuration.maxBatchBytes = maxBatchBytes
        return configuration
    }

    /// Runs a forwarder (with the product's HTTP client settings) in a service group beside `body`.
    static func withForwarder(
        _ db: EdgeDatabase, _ configuration: SyncForwarderConfiguration, registry: PrometheusCollectorRegistry = .init(),
        _ body: @Sendable (ServiceGroup) async throws -> Void
    ) async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: SyncForwarder.httpClientConfiguration(configuration))
        let forwarder = SyncForwarder(configuration: configuration, store: db.outbox, httpClient: client, registry: registry, logger: TestDatabase.logger)
        var logger = Logger(label: "sync-test")
        logger.logLevel = .warning
        let group = ServiceGroup(configuration: .init(services: [forwarder], logger: logger))
        let task = Task { try await group.run() }
        do {
            try await body(group)
        } catch {
            await group.triggerGracefulShutdown()
            _ = await task.result
            try await client.shutdown()
            throw error
        }
        await group.triggerGracefulShutdown()
        _ = await task.result
        try await client.shutdown()
    }

    /// Waits (up to 60 s) until `farmiq_sync_endpoint_refusals_total` reaches `count`.
    static func waitForRefusals(_ registry: PrometheusCollectorRegistry, atLeast count: Int) async throws -> Bool {
        try await eventually(timeout: .seconds(60)) { refusals(registry) >= count }
    }

    /// `farmiq_sync_endpoint_refusals_total`.
    static func refusals(_ registry: PrometheusCollectorRegistry) -> Int {
        for line in metrics(registry).split(separator: "\n") where line.hasPrefix("farmiq_sync_endpoint_refusals_total ") {
            return Int(Double(line.split(separator: " ").last ?? "") ?? 0)
        }
        return 0
    }

    static func metrics(_ registry: PrometheusCollectorRegistry) -> String {
        var output: [UInt8] = []
        registry.emit(into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// The issue's case: a proxy refuses bodies over 1 MiB with 413; 200 events of 40 KB and 1,000 telemetry
    /// messages. With the default byte bound no request meets the limit; with the bound raised far above it
    /// (as before), refused batches are split and everything arrives all the same. Nothing is parked.
    @Test(arguments: [(DatabaseEngine.sqlite, 1 << 20), (.postgres, 1 << 20), (.sqlite, 64 << 20)])
    func aProxyBodyLimitStallsNothing(engine: DatabaseEngine, maxBatchBytes: Int) async throws {
        var faults = CloudSimFaults()
        faults.maxBodyBytes = 1 << 20
        try await CloudSimPeer.run(faults: faults) { cloud in
            try await TestDatabase.with(engine) { db in
                _ = try await db.ingress.storeEvents(Self.bigEvents(200, bytes: 40_000))
                _ = try await Fixtures.ingest(db, count: 1_000)
                let registry = PrometheusCollectorRegistry()
                try await Self.withForwarder(db, Self.configuration(cloud.url, maxBatchBytes: maxBatchBytes), registry: registry) { _ in
                    let ok80 = try await eventually(timeout: .seconds(60)) { try await cloud.controller.stats().uniqueEvents == 1_200 }
                    #expect(ok80)
                    let ok81 = try await eventually(timeout: .seconds(10)) { try await db.outbox.stats(now: .now()).pending == 0 }
                    #expect(ok81)
                }
                let stats = try await cloud.controller.stats()
                #expect(try await db.outbox.stats(now: .now()).deadLetter == 0)
                #expect(stats.duplicate == 0)
                let splits = Self.metrics(registry).split(separator: "\n").first { $0.hasPrefix("farmiq_sync_batches_split_total ") }
                print("sync proxy limit [\(engine), bound \(maxBatchBytes) B]: 1,200 delivered; 413s \(stats.tooLarge), \(splits ?? "-"), requests \(stats.requests)")
                if maxBatchBytes == 1 << 20 {
                    #expect(stats.tooLarge == 0)  // the bound keeps every request under the proxy's limit
                } else {
                    #expect(stats.tooLarge > 0)
                    #expect(splits != nil && splits != "farmiq_sync_batches_split_total 0")
                }
            }
        }
    }

    /// One event larger than the proxy's limit on its own: parked with the status and the start of the answer;
    /// the 1,000 events around it flow.
    @Test func anOversizedEventIsParkedWithItsReasonAndTheRestFlow() async throws {
        var faults = CloudSimFaults()
        faults.maxBodyBytes = 1 << 20
        try await CloudSimPeer.run(faults: faults) { cloud in
            try await TestDatabase.with(.sqlite) { db in
                let before = try await Fixtures.ingest(db, count: 500)
                let oversized = Self.bigEvents(1, bytes: 2 << 20)
                _ = try await db.ingress.storeEvents(oversized)
                let after = try await Fixtures.ingest(db, count: 500)
                try await Self.withForwarder(db, Self.configuration(cloud.url)) { _ in
                    let ok110 = try await eventually(timeout: .seconds(30)) { try await db.outbox.stats(now: .now()).deadLetter == 1 }
                    #expect(ok110)
                    let ok111 = try await eventually(timeout: .seconds(10)) { try await db.outbox.stats(now: .now()).pending == 0 }
                    #expect(ok111)
                }
                #expect(try await cloud.controller.stats().uniqueEvents == before.count + after.count)
                let parked = try await db.outbox.deadLetters(limit: 10)
                #expect(parked.map(\.eventID) == oversized.map(\.header.eventID))
                #expect(parked.first?.reason.hasPrefix("HTTP 413: ") == true)
                #expect(parked.first?.reason.contains("larger than 1048576 bytes") == true, "\(parked.first?.reason ?? "")")
            }
        }
    }

    /// A chosen status (422) for a chosen event: that event is parked with the answer, everything else flows,
    /// on both engines.
    @Test(arguments: DatabaseEngine.allCases)
    func aChosenEventRefusedWith422IsParked(engine: DatabaseEngine) async throws {
        try await CloudSimPeer.run { cloud in
            try await TestDatabase.with(engine) { db in
                let ids = try await Fixtures.ingest(db, count: 3_000)
                let poison = ids[1_234]
                cloud.controller.updateFaults { $0.refuseEventIDs = [poison]; $0.refuseStatus = 422 }
                let registry = PrometheusCollectorRegistry()
                try await Self.withForwarder(db, Self.configuration(cloud.url), registry: registry) { _ in
                    let ok133 = try await eventually(timeout: .seconds(30)) { try await cloud.controller.stats().uniqueEvents == 2_999 }
                    #expect(ok133)
                    let ok134 = try await eventually(timeout: .seconds(10)) { try await db.outbox.stats(now: .now()).pending == 0 }
                    #expect(ok134)
                }
                let parked = try await db.outbox.deadLetters(limit: 10)
                #expect(parked.map(\.eventID) == [poison])
                #expect(parked.first?.reason == #"HTTP 422: {"error":"event \#(poison) is refused (fault injection)"}"#)
                let text = Self.metrics(registry)
                #expect(text.contains(#"farmiq_sync_events_sent_total{result="rejected"} 1"#))
                #expect(!text.contains("farmiq_sync_endpoint_refusals_total 1"))
            }
        }
    }

    /// A wrong cloud URL (every request `404`): nothing is parked, the outbox waits, the state says `refused`.
    @Test func aWrongEndpointParksNothing() async throws {
        try await CloudSimPeer.run { cloud in
            try await TestDatabase.with(.sqlite) { db in
                _ = try await Fixtures.ingest(db, count: 2_000)
                let registry = PrometheusCollectorRegistry()
                try await Self.withForwarder(db, Self.configuration(cloud.url + "/wrong-prefix"), registry: registry) { _ in
                    #expect(try await eventually(timeout: .seconds(15)) { try await db.outbox.syncState().first?.state == "refused" })
                    // A state probe, not a sleep: the endpoint refused twice (a retry after the backoff), and still nothing is parked.
                    let refusedTwice = try await Self.waitForRefusals(registry, atLeast: 2)
                    #expect(refusedTwice)
                    #expect(try await db.outbox.stats(now: .now()).deadLetter == 0)
                    #expect(try await db.outbox.stats(now: .now()).pending == 2_000)
                    #expect(try await db.outbox.syncState().first?.detail?.contains("HTTP 404") == true)
                    #expect(Self.metrics(registry).contains(#"farmiq_sync_state{state="refused"} 1"#))
                }
                #expect(try await cloud.controller.stats().uniqueEvents == 0)
            }
        }
    }

    /// A 150 KB/s uplink and a 600 KB batch with a 2 s request timeout: before, the request timed out and was
    /// uploaded again from the start on every try; now the timeout follows progress and it goes through once.
    @Test func aSlowUplinkIsNotCutOffWhileItMakesProgress() async throws {
        var faults = CloudSimFaults()
        faults.uploadBytesPerSecond = 150_000
        try await CloudSimPeer.run(faults: faults) { cloud in
            try await TestDatabase.with(.sqlite) { db in
                _ = try await db.ingress.storeEvents(Self.bigEvents(30, bytes: 20_000))
                var configuration = Self.configuration(cloud.url, requestTimeout: .seconds(2))
                configuration.gzip = false
                try await Self.withForwarder(db, configuration) { _ in
                    let ok179 = try await eventually(timeout: .seconds(60)) { try await cloud.controller.stats().uniqueEvents == 30 }
                    #expect(ok179)
                }
                let stats = try await cloud.controller.stats()
                print("sync slow uplink: 30 events of 20 KB at 150 KB/s in \(stats.requests) request(s)")
                #expect(stats.requests == 1)
            }
        }
    }

    /// SIGTERM (graceful shutdown) in the middle of a drain: the batches the cloud answered are committed before
    /// exit, so a new forwarder re-sends none of them (`duplicate` stays 0 at the cloud).
    @Test(arguments: DatabaseEngine.allCases)
    func aGracefulStopMidDrainResendsNothingAnswered(engine: DatabaseEngine) async throws {
        var faults = CloudSimFaults()
        faults.latency = .milliseconds(300)
        try await CloudSimPeer.run(faults: faults) { cloud in
            try await TestDatabase.with(engine) { db in
                let written = try await Fixtures.ingest(db, count: 20_000)
                try await Self.withForwarder(db, Self.configuration(cloud.url)) { group in
                    let ok198 = try await eventually(timeout: .seconds(30)) { try await cloud.controller.stats().uniqueEvents >= 4_000 }
                    #expect(ok198)
                    await group.triggerGracefulShutdown()
                }
                let answered = try await cloud.controller.stats().uniqueEvents
                #expect(answered < written.count)
                #expect(try await db.outbox.stats(now: .now()).pending == written.count - answered)
                cloud.controller.clearFaults()
                try await Self.withForwarder(db, Self.configuration(cloud.url)) { _ in
                    let ok206 = try await eventually(timeout: .seconds(60)) { try await cloud.controller.stats().uniqueEvents == written.count }
                    #expect(ok206)
                }
                let stats = try await cloud.controller.stats()
                print("sync graceful stop [\(engine)]: \(answered) answered before the stop, \(stats.duplicate) re-sent")
                #expect(stats.duplicate == 0)
            }
        }
    }
}
