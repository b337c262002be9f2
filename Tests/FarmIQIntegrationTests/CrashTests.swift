import FarmIQApp
import FarmIQCore
import FarmIQStorage
import FarmIQTestSupport
import Foundation
import Synchronization
import Testing

/// Nothing acknowledged is lost: kill -9 and SIGTERM of the all-in-one process mid-stream.
@Suite("Crash and shutdown", .serialized)
struct CrashTests {
    static let messageCount = 50_000
    static let readingsPerMessage = 2

    @Test("kill -9 mid-stream of 50,000 QoS 1 messages: every PUBACKed message is stored exactly once", arguments: DatabaseEngine.allCases)
    func killNine(engine: DatabaseEngine) async throws {
        let run = try await StreamRun(engine: engine)
        var child = try run.startChild()
        try await HTTP.waitUntilReady(child.baseURL)
        let publishing = run.startPublishing()
        try await run.waitForAcks(atLeast: Self.messageCount / 3)
        await child.kill9()
        try await Task.sleep(for: .milliseconds(500))
        child = try child.restarted()
        let acked = try await publishing.value
        #expect(acked == Self.messageCount)
        try await run.expectAllStoredOnce(via: child)
        #expect(await child.stop())
    }

    @Test("SIGTERM mid-stream: the gateway commits and acknowledges what it has, exits 0; nothing is lost")
    func gracefulShutdown() async throws {
        let run = try await StreamRun(engine: .sqlite)
        var child = try run.startChild()
        try await HTTP.waitUntilReady(child.baseURL)
        let publishing = run.startPublishing()
        try await run.waitForAcks(atLeast: Self.messageCount / 3)
        #expect(await child.stop(grace: .seconds(30)), "did not exit within 30 s of SIGTERM")
        #expect(child.process.ended == .exited(0))
        child = try child.restarted()
        let acked = try await publishing.value
        #expect(acked == Self.messageCount)
        try await run.expectAllStoredOnce(via: child)
        #expect(await child.stop())
    }
}

/// One stream of telemetry into a child all-in-one with a stable MQTT client id.
struct StreamRun: Sendable {
    let databaseURL: String
    let tenant: String
    let port: Int
    let settings: [String: String]
    let publisher: TestPublisher
    let acked = Counter()

    final class Counter: Sendable {
        let value = Atomic<Int>(0)
        func increment() { value.add(1, ordering: .relaxed) }
        var current: Int { value.load(ordering: .relaxed) }
    }

    let messageCount: Int

    init(engine: DatabaseEngine, messages: Int = CrashTests.messageCount) async throws {
        messageCount = messages
        databaseURL = try await TestEnvironment.freshDatabaseURL(engine)
        tenant = TestEnvironment.uniqueName("c")
        port = ChildEdge.freePort()
        settings = [
            "FARMIQ_MQTT_CLIENT_ID": TestEnvironment.uniqueName("crash-gw"),
            "FARMIQ_INGEST_TENANT": tenant,
        ]
        publisher = try await TestPublisher()
    }

    func startChild() throws -> ChildEdge {
        try ChildEdge(databaseURL: databaseURL, port: port, settings: settings)
    }

    func startPublishing() -> Task<Int, any Error> {
        let base = Timestamp.now()
        let messages = (0..<messageCount).map { i in
            (topic: Envelopes.topic(tenant: tenant, device: "dev-\(i % 20)"),
             payload: Envelopes.telemetry(at: base.adding(milliseconds: Int64(i)), readings: [("temperature", Double(i % 40)), ("humidity", 60)]))
        }
        let publisher = self.publisher
        let acked = self.acked
        return Task { try await publisher.publish(messages, window: 1000, onAck: { _ in acked.increment() }) }
    }

    func waitForAcks(atLeast count: Int) async throws {
        try await eventually(timeout: .seconds(120)) { acked.current >= count }
    }

    /// Every message is in telemetry_raw once, and the roll-ups count each reading once.
    func expectAllStoredOnce(via child: ChildEdge) async throws {
        try await HTTP.waitUntilReady(child.baseURL)
        let expectedReadings = CrashTests.messageCount * CrashTests.readingsPerMessage
        try await eventually(timeout: .seconds(300)) { try await aggregatedReadings(child) >= expectedReadings }
        #expect(try await aggregatedReadings(child) == expectedReadings)
        #expect(try await TestDatabase.messageCount(databaseURL, tenantID: tenant) == CrashTests.messageCount)
        await publisher.stop()
    }

    private func aggregatedReadings(_ child: ChildEdge) async throws -> Int {
        let from = Timestamp.now().adding(milliseconds: -6 * 3_600_000).rfc3339
        let body = try await HTTP.getJSON("\(child.baseURL)/api/v1/telemetry/aggregates?tenant_id=\(tenant)&bucket=1h&from=\(from)&limit=10000")
        guard case .array(let buckets)? = body["aggregates"] else { return 0 }
        return buckets.reduce(0) { total, bucket in
            if case .number(let n)? = bucket["count"] { return total + (n.integerValue ?? 0) }
            return total
        }
    }
}
