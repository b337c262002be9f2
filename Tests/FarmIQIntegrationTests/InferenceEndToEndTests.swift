@testable import FarmIQApp
import FarmIQTestSupport
import FarmIQCore
@testable import FarmIQStorage
import Foundation
import MediaStore
import Testing

/// edge-vision-inference end to end (`contracts.md` §3a, §4): images uploaded over HTTP are analysed by the
/// all-in-one's workers; each gets one `inference.completed` or `inference.failed`; a session's bird count comes
/// from its images.
@Suite("Inference end to end", .serialized)
struct InferenceEndToEndTests {
    @Test("uploaded top views are counted; a truncated JPEG and noise fail with a reason; one event per image", arguments: DatabaseEngine.allCases)
    func imagesGetResults(engine: DatabaseEngine) async throws {
        let databaseURL = try await TestEnvironment.freshDatabaseURL(engine)
        let root = try MediaUploadClient.freshRoot()
        let tenant = TestEnvironment.uniqueName("inf")
        let token = try await MediaUploadClient.register("\(tenant)/farm-1/barn-1/cam-1", databaseURL: databaseURL)
        let edge = try await InProcessEdge.start(databaseURL: databaseURL, settings: [
            "FARMIQ_MEDIA_ROOT": root, "FARMIQ_INGEST_TENANT": tenant, "FARMIQ_SESSION_GRACE_SECONDS": "4",
        ])
        let camera = MediaUploadClient(baseURL: edge.baseURL, token: token)
        var random = SplitMix64(seed: 7)
        let session = EventID.v7()
        var truth: [String: Int] = [:]
        for count in [1, 2, 3] {
            let scene = TopViewScene(weightsKg: Array(repeating: 2.2, count: count), camera: .compact, using: &random)
            let answer = try await camera.upload(scene.jpeg(using: &random), capturedAt: Timestamp.now().adding(milliseconds: Int64(count)).rfc3339, sessionID: session)
            #expect(answer.status == 201)
            truth[try #require(answer.mediaID)] = count
        }
        // A truncated file whose header is intact (the media store checks only the header) and a JPEG of noise.
        let whole = TopViewScene(weightsKg: [2.0], camera: .compact, using: &random).jpeg(using: &random)
        let truncated = try await camera.upload(Array(whole.prefix(whole.count / 2)))
        #expect(truncated.status == 201)
        var noisy = [UInt8](repeating: 0, count: 320 * 240)
        for index in noisy.indices { noisy[index] = UInt8.random(in: 0...255, using: &random) }
        let noiseJPEG: [UInt8]? = JPEGEncoder.grayscale(noisy, width: 320, height: 240)
        let noise = try await camera.upload(noiseJPEG)
        #expect(noise.status == 201)

        let publisher = try await TestPublisher()
        #expect(try await publisher.publish(WeighSessionEndToEndTests.messages(session: session, tenant: tenant, readings: [13.1, 13.2, 13.15])) == 5)

        try await eventually(timeout: .seconds(120)) {
            try await TestDatabase.withDatabase(databaseURL) { database in
                try await database.scalarInt(unsafeSQL: "SELECT count(*) FROM inference_results")
            } == 5
        }
        // The outbox reader sees a row once no older transaction is still open: on a loaded PostgreSQL (other tests
        // running) the last rows become readable a little later.
        var events: [(String, String)] = []
        try await eventually(timeout: .seconds(60)) {
            events = try await TestDatabase.withDatabase(databaseURL) { database in
                try await database.outbox.read(after: .start, limit: 1000).map { ($0.eventType, $0.body) }
            }
            return events.filter { $0.0.hasPrefix("inference.") }.count >= 5
        }
        let completed = events.filter { $0.0 == "inference.completed" }, failed = events.filter { $0.0 == "inference.failed" }
        #expect(completed.count + failed.count == 5)
        for (_, body) in completed {
            let payload = try JSONParser.parse(body)["payload"]
            guard case .string(let mediaID)? = payload?["media_id"] else { continue }
            if let expected = truth[mediaID] {
                #expect(payload?["bird_count"] == .number(JSONNumber(expected)), "\(body)")
                #expect(payload?["calibrated"] == .bool(false))
            }
        }
        #expect(failed.contains { $0.1.contains("corrupt_jpeg") }, "\(failed)")
        #expect(completed.filter { body in truth.keys.contains { body.1.contains($0) } }.count == 3)

        // The session: its bird count comes from its images (median of 1, 2, 3 = 2) once inference has them.
        let detailURL = edge.baseURL + "/api/v1/weighvision/sessions/\(session)?tenant_id=\(tenant)"
        try await eventually(timeout: .seconds(60)) {
            let detail = try await HTTP.getJSON(detailURL)
            return detail["result"]?["bird_count_source"] == .string("images") && detail["session"]?["due_at"] == .null
        }
        let detail = try await HTTP.getJSON(detailURL)
        #expect(detail["result"]?["bird_count"] == .number(JSONNumber(2)))
        #expect(detail["result"]?["images"]?["inferred"] == .number(JSONNumber(3)))
        await publisher.stop()
        await edge.stop()
    }
}

/// Images that arrive after their session was finalized: inference's results make the next revision.
@Suite("Inference after finalization", .serialized)
struct LateInferenceTests {
    @Test("images uploaded after a session was finalized: revision 2 takes its bird count from them", arguments: DatabaseEngine.allCases)
    func lateImagesMakeTheNextRevision(engine: DatabaseEngine) async throws {
        let databaseURL = try await TestEnvironment.freshDatabaseURL(engine)
        let root = try MediaUploadClient.freshRoot()
        let tenant = TestEnvironment.uniqueName("late")
        let token = try await MediaUploadClient.register("\(tenant)/farm-1/barn-1/cam-1", databaseURL: databaseURL)
        let edge = try await InProcessEdge.start(databaseURL: databaseURL, settings: [
            "FARMIQ_MEDIA_ROOT": root, "FARMIQ_INGEST_TENANT": tenant, "FARMIQ_SESSION_GRACE_SECONDS": "2",
        ])
        let session = EventID.v7()
        let publisher = try await TestPublisher()
        #expect(try await publisher.publish(WeighSessionEndToEndTests.messages(session: session, tenant: tenant, readings: [8.8, 8.9, 8.85])) == 5)
        let detailURL = edge.baseURL + "/api/v1/weighvision/sessions/\(session)?tenant_id=\(tenant)"
        try await eventually(timeout: .seconds(60)) {
            let detail = try await HTTP.getJSON(detailURL)
            return detail["session"]?["revision"] == .number(JSONNumber(1)) && detail["session"]?["due_at"] == .null
        }
        #expect(try await HTTP.getJSON(detailURL)["result"]?["bird_count_source"] == .string("expected_count"))

        let camera = MediaUploadClient(baseURL: edge.baseURL, token: token)
        var random = SplitMix64(seed: 5)
        for index in 0..<3 {
            let scene = TopViewScene(weightsKg: [2.9, 3.0, 2.95, 3.1], camera: .compact, using: &random)
            #expect(try await camera.upload(scene.jpeg(using: &random), capturedAt: Timestamp.now().adding(milliseconds: Int64(index)).rfc3339, sessionID: session).status == 201)
        }
        var detail: JSONValue = .null
        try await eventually(timeout: .seconds(90)) {
            detail = try await HTTP.getJSON(detailURL)
            guard case .number(let revision)? = detail["session"]?["revision"], let value = revision.integerValue, value >= 2 else { return false }
            return detail["session"]?["due_at"] == .null && detail["result"]?["images"]?["inferred"] == .number(JSONNumber(3))
        }
        #expect(detail["result"]?["bird_count_source"] == .string("images"))
        #expect(detail["result"]?["bird_count"] == .number(JSONNumber(4)))
        #expect(detail["result"]?["images"]?["count"] == .number(JSONNumber(3)))
        await publisher.stop()
        await edge.stop()
    }
}

/// `kill -9` of edge-vision-inference mid-job: after the restart every image is analysed exactly once.
@Suite("Inference crash", .serialized)
struct InferenceCrashTests {
    @Test("kill -9 of vision-inference while it works: every image gets exactly one result and one event", arguments: DatabaseEngine.allCases)
    func killNineMidJob(engine: DatabaseEngine) async throws {
        let databaseURL = try await TestEnvironment.freshDatabaseURL(engine)
        let root = try MediaUploadClient.freshRoot()
        let tenant = TestEnvironment.uniqueName("icrash")
        let token = try await MediaUploadClient.register("\(tenant)/farm-1/barn-1/cam-1", databaseURL: databaseURL)
        let store = try await InProcessEdge.start(mode: .mediaStore, databaseURL: databaseURL, settings: ["FARMIQ_MEDIA_ROOT": root])
        let camera = MediaUploadClient(baseURL: store.baseURL, token: token)
        var random = SplitMix64(seed: 11)
        // Enough images that the kill lands mid-way: the pipeline analyses a compact view in milliseconds.
        let images = 120
        for index in 0..<images {
            let scene = TopViewScene(weightsKg: Array(repeating: 2.1, count: index % 4 + 1), camera: .compact, using: &random)
            #expect(try await camera.upload(scene.jpeg(using: &random)).status == 201)
        }
        await store.stop()

        let settings = ["FARMIQ_MEDIA_ROOT": root, "FARMIQ_INFERENCE_WORKERS": "2", "FARMIQ_INFERENCE_LEASE_SECONDS": "3"]
        var child = try ChildEdge(arguments: ["serve", "vision-inference"], databaseURL: databaseURL, port: ChildEdge.freePort(), settings: settings)
        try await HTTP.waitUntilReady(child.baseURL)
        func results() async throws -> Int {
            try await TestDatabase.withDatabase(databaseURL) { try await $0.scalarInt(unsafeSQL: "SELECT count(*) FROM inference_results") }
        }
        try await eventually(timeout: .seconds(120)) { try await results() >= 1 }
        await child.kill9()
        let before = try await results()
        #expect(before < images, "all analysed before the kill: the test proves nothing")
        child = try child.restarted()
        try await eventually(timeout: .seconds(180)) { try await results() == images }
        try await Task.sleep(for: .seconds(4))  // a lease or two more: nothing is analysed twice
        let (results, events, done) = try await TestDatabase.withDatabase(databaseURL) { database in
            (try await database.scalarInt(unsafeSQL: "SELECT count(*) FROM inference_results"),
             try await database.scalarInt(unsafeSQL: "SELECT count(*) FROM sync_outbox WHERE event_type LIKE 'inference.%'"),
             try await database.scalarInt(unsafeSQL: "SELECT count(*) FROM inference_jobs WHERE status = 'done'"))
        }
        #expect(results == images)
        #expect(events == images)
        #expect(done == images)
        #expect(await child.stop())
    }
}
