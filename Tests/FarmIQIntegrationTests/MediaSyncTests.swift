import FarmIQTestSupport
import FarmIQApp
import FarmIQCore
@testable import FarmIQStorage
import Foundation
import Testing

/// Images to the cloud, bytes first (`contracts.md` §4), with a real cloud-sim process that checks the order.
@Suite("Media sync", .serialized)
struct MediaSyncTests {
    @Test("cloud down while 200 images are stored; cloud up: every image's bytes and then its media.stored event arrive", arguments: DatabaseEngine.allCases)
    func imagesReachTheCloudAfterAnOutage(engine: DatabaseEngine) async throws {
        let databaseURL = try await TestEnvironment.freshDatabaseURL(engine)
        let root = try MediaUploadClient.freshRoot()
        let tenant = TestEnvironment.uniqueName("msync")
        let token = try await MediaUploadClient.register("\(tenant)/farm-1/barn-1/cam-1", databaseURL: databaseURL)
        let cloudPort = ChildEdge.freePort()
        let cloudURL = "http://127.0.0.1:\(cloudPort)"
        let edge = try await InProcessEdge.start(databaseURL: databaseURL, settings: [
            "FARMIQ_MEDIA_ROOT": root, "FARMIQ_CLOUD_URL": cloudURL, "FARMIQ_CLOUD_TOKEN": "edge-secret",
            // Only this test's tenant: other tests publish on the same broker at the same time.
            "FARMIQ_INGEST_TENANT": tenant,
        ])
        let device = MediaUploadClient(baseURL: edge.baseURL, token: token)

        // The cloud is down (nothing listens): 200 images are stored and wait.
        let session = EventID.v7()
        let stored = try await withThrowingTaskGroup(of: Int.self) { group in
            for lane in 0..<8 {
                group.addTask {
                    var count = 0
                    for index in stride(from: lane, to: 200, by: 8) {
                        let answer = try await device.upload(
                            MediaUploadClient.jpeg(seed: index), capturedAt: Timestamp.now().adding(milliseconds: Int64(index)).rfc3339, sessionID: session)
                        if answer.status == 201 { count += 1 }
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(stored == 200)
        try await Task.sleep(for: .seconds(2))
        #expect(try await HTTP.metric(edge.baseURL, "farmiq_media_pending_upload") == 200)
        // No media.stored before the bytes reached the cloud (the all-in-one's inference events may be queued).
        #expect(try await Self.mediaStoredRows(databaseURL) == 0)

        // The cloud comes up.
        let cloudDirectory = FileManager.default.temporaryDirectory.appendingPathComponent(TestEnvironment.uniqueName("cloud-sim")).path
        let cloud = try ChildEdge(
            arguments: ["cloud-sim", "--port", "\(cloudPort)", "--data-directory", cloudDirectory],
            databaseURL: "unused", port: cloudPort, settings: ["FARMIQ_CLOUD_SIM_TOKEN": "edge-secret"])
        try await eventually(timeout: .seconds(180)) {
            let events = try await Self.cloudCount(cloudURL, "unique_events")
            let media = try await Self.cloudCount(cloudURL, "media_stored")
            return events >= 200 && media >= 200
        }
        #expect(try await Self.cloudCount(cloudURL, "media_stored") == 200)
        // 200 media.stored events, plus the inference events of the all-in-one's analysis of each image.
        #expect(try await Self.cloudCount(cloudURL, "unique_events") >= 200)
        #expect(try await Self.cloudCount(cloudURL, "media_event_before_bytes") == 0)
        #expect(try await Self.cloudCount(cloudURL, "media_hash_mismatch") == 0)
        // The cloud counts bytes when it answers the PUT; the edge marks the image (and writes media.stored) after
        // the answer: wait for every mark before counting the rows.
        try await eventually { try await HTTP.metric(edge.baseURL, "farmiq_media_pending_upload") == 0 }
        #expect(try await Self.mediaStoredRows(databaseURL) == 200)
        #expect(try await HTTP.metric(edge.baseURL, "farmiq_sync_media_uploaded_total") == 200)
        // Each file the cloud holds is the edge's file.
        let sample = MediaUploadClient.files(under: root).filter { $0.hasSuffix(".jpg") }.prefix(5)
        for path in sample {
            let bytes = try #require(FileManager.default.contents(atPath: root + "/" + path))
            let row = try await TestDatabase.withDatabase(databaseURL) { try await $0.media.existingPaths([path]) }
            #expect(row.count == 1)
            #expect(bytes.count > 0)
        }
        #expect(await cloud.stop())
        await edge.stop()
    }

    @Test("kill -9 of the edge between the cloud's answer to a PUT and marking the image uploaded, three times: every image and one media.stored each reach the cloud, bytes first", arguments: DatabaseEngine.allCases)
    func killBetweenPutAndMark(engine: DatabaseEngine) async throws {
        let databaseURL = try await TestEnvironment.freshDatabaseURL(engine)
        let root = try MediaUploadClient.freshRoot()
        let tenant = TestEnvironment.uniqueName("mkill")
        let token = try await MediaUploadClient.register("\(tenant)/farm-1/barn-1/cam-1", databaseURL: databaseURL)
        let cloudPort = ChildEdge.freePort()
        let cloudURL = "http://127.0.0.1:\(cloudPort)"
        let cloudDirectory = FileManager.default.temporaryDirectory.appendingPathComponent(TestEnvironment.uniqueName("cloud-sim")).path
        let cloud = try ChildEdge(
            arguments: ["cloud-sim", "--port", "\(cloudPort)", "--data-directory", cloudDirectory],
            databaseURL: "unused", port: cloudPort, settings: ["FARMIQ_CLOUD_SIM_TOKEN": "edge-secret"])
        try await eventually { try await HTTP.get(cloudURL + "/health/live").status == 200 }
        var settings = [
            "FARMIQ_MEDIA_ROOT": root, "FARMIQ_CLOUD_URL": cloudURL, "FARMIQ_CLOUD_TOKEN": "edge-secret", "FARMIQ_INGEST_TENANT": tenant,
            // Test hook: a pause between the cloud's 200/201 and the mark (and media.stored), where the kills land.
            "FARMIQ_SYNC_PAUSE_AFTER_ACCEPT_MS": "2000",
        ]
        var edge = try ChildEdge(databaseURL: databaseURL, port: ChildEdge.freePort(), settings: settings)
        try await HTTP.waitUntilReady(edge.baseURL)
        let images = 30
        let device = MediaUploadClient(baseURL: edge.baseURL, token: token)
        for index in 0..<images {
            let answer = try await device.upload(MediaUploadClient.jpeg(seed: index), capturedAt: Timestamp.now().adding(milliseconds: Int64(index)).rfc3339)
            #expect(answer.status == 201)
        }
        for _ in 0..<3 {
            // Kill once the cloud holds bytes the edge has not marked yet (inside the pause).
            let marked = try await Self.mediaStoredRows(databaseURL)
            try await eventually(timeout: .seconds(60)) { try await Self.cloudCount(cloudURL, "media_stored") > marked }
            await edge.kill9()
            edge = try edge.restarted()
            try await HTTP.waitUntilReady(edge.baseURL)
        }
        #expect(await edge.stop())
        settings["FARMIQ_SYNC_PAUSE_AFTER_ACCEPT_MS"] = "0"
        edge = try ChildEdge(databaseURL: databaseURL, port: ChildEdge.freePort(), settings: settings)
        try await HTTP.waitUntilReady(edge.baseURL)
        try await eventually(timeout: .seconds(120)) { try await HTTP.metric(edge.baseURL, "farmiq_media_pending_upload") == 0 }
        try await eventually(timeout: .seconds(120)) {
            let stored = try await Self.mediaStoredRows(databaseURL)
            let pending = try await HTTP.metric(edge.baseURL, "farmiq_sync_outbox_pending")
            return stored == images && pending == 0
        }
        // Every image's bytes once at the cloud; the PUTs the kills cut short were answered again (duplicates), and
        // no media.stored came before its bytes or twice from the edge.
        #expect(try await Self.cloudCount(cloudURL, "media_stored") == images)
        #expect(try await Self.cloudCount(cloudURL, "media_duplicate") >= 1)
        #expect(try await Self.cloudCount(cloudURL, "media_event_before_bytes") == 0)
        #expect(try await Self.cloudCount(cloudURL, "media_hash_mismatch") == 0)
        #expect(try await Self.mediaStoredRows(databaseURL) == images)
        #expect(await edge.stop())
        #expect(await cloud.stop())
    }

    static func mediaStoredRows(_ databaseURL: String) async throws -> Int {
        try await TestDatabase.withDatabase(databaseURL) { try await $0.scalarInt(unsafeSQL: "SELECT count(*) FROM sync_outbox WHERE event_type = 'media.stored'") }
    }

    static func cloudCount(_ base: String, _ field: String) async throws -> Int {
        let stats = try await HTTP.getJSON(base + "/admin/stats")
        guard case .number(let value)? = stats[field] else { return -1 }
        return value.integerValue ?? -1
    }
}
