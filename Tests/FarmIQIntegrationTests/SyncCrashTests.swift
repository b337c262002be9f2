import FarmIQTestSupport
import FarmIQApp
import FarmIQCore
import FarmIQStorage
import Foundation
import Testing

/// Cloud sync end to end with real processes: devices → all-in-one → cloud-sim.
@Suite("Cloud sync crash", .serialized)
struct SyncCrashTests {
    static let messages = 20_000
    /// Messages published before each kill.
    static let chunk = 1_500

    @Test("kill -9 of the forwarder between the cloud's 200 and marking delivered, three times: nothing missing at the cloud", arguments: DatabaseEngine.allCases)
    func killBetweenAcceptAndMark(engine: DatabaseEngine) async throws {
        let cloudPort = ChildEdge.freePort()
        let cloudDirectory = FileManager.default.temporaryDirectory.appendingPathComponent(TestEnvironment.uniqueName("cloud-sim")).path
        let cloud = try ChildEdge(
            arguments: ["cloud-sim", "--port", "\(cloudPort)", "--data-directory", cloudDirectory],
            databaseURL: "unused", port: cloudPort, settings: ["FARMIQ_CLOUD_SIM_TOKEN": "edge-secret"])
        let cloudURL = "http://127.0.0.1:\(cloudPort)"
        try await eventually { try await HTTP.get(cloudURL + "/health/live").status == 200 }

        let run = try await StreamRun(engine: engine, messages: Self.messages)
        var settings = run.settings
        settings["FARMIQ_CLOUD_URL"] = cloudURL
        settings["FARMIQ_CLOUD_TOKEN"] = "edge-secret"
        // Test hook of the forwarder: a pause between the cloud's 200 and the commit of the cursor.
        settings["FARMIQ_SYNC_PAUSE_AFTER_ACCEPT_MS"] = "1500"
        var edge = try ChildEdge(databaseURL: run.databaseURL, port: run.port, settings: settings)
        try await HTTP.waitUntilReady(edge.baseURL)
        let publishing = run.startPublishing()
        #expect(try await publishing.value == Self.messages)

        var kills = 0
        var total = Self.messages
        for round in 0..<3 {
            // New messages each round, so there is always something to send: on a fast run the first stream can be
            // all delivered before the first kill, and no new batch would ever come.
            let base = Timestamp.now()
            let chunk = (0..<Self.chunk).map { i in
                (topic: Envelopes.topic(tenant: run.tenant, device: "dev-\(i % 20)"),
                 payload: Envelopes.telemetry(at: base.adding(milliseconds: Int64(round * Self.chunk + i)), readings: [("temperature", 21.0)]))
            }
            // Counted before the chunk exists: the batches that carry it come after (read after publishing, a fast
            // forwarder could have sent the whole chunk already, and no new batch would ever come).
            let before = try await cloudCount(cloudURL, "batches")
            #expect(try await run.publisher.publish(chunk) == Self.chunk)
            total += Self.chunk
            // Wait until the cloud has answered a new batch, then kill inside the pause window
            // (the batch is stored at the cloud, the edge has not marked it delivered).
            try await eventually(timeout: .seconds(60)) { try await cloudCount(cloudURL, "batches") > before }
            await edge.kill9()
            kills += 1
            edge = try edge.restarted()
            try await HTTP.waitUntilReady(edge.baseURL)
        }
        // With the pause gone the rest drains.
        #expect(await edge.stop())
        settings["FARMIQ_SYNC_PAUSE_AFTER_ACCEPT_MS"] = "0"
        edge = try ChildEdge(databaseURL: run.databaseURL, port: run.port, settings: settings)
        let expected = total
        try await eventually(timeout: .seconds(180)) { try await cloudCount(cloudURL, "unique_events") >= expected }
        #expect(try await cloudCount(cloudURL, "unique_events") == expected)
        #expect(try await cloudCount(cloudURL, "rejected") == 0)
        // Re-sent duplicates are only those the kills explain: at most the batches in flight (4 × 1000) per
        // kill. The graceful stop (SIGTERM) above waits for the answers of its batches in flight, pause
        // included, and commits them: it adds none.
        let duplicates = try await cloudCount(cloudURL, "duplicate")
        #expect(duplicates > 0 && duplicates <= kills * 4 * 1000, "duplicates \(duplicates)")
        try await eventually { try await HTTP.metric(edge.baseURL, "farmiq_sync_outbox_pending") == 0 }
        #expect(await edge.stop())
        #expect(await cloud.stop())
        await run.publisher.stop()
    }

    private func cloudCount(_ base: String, _ field: String) async throws -> Int {
        let stats = try await HTTP.getJSON(base + "/admin/stats")
        guard case .number(let value)? = stats[field] else { return -1 }
        return value.integerValue ?? -1
    }
}
