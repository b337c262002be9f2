import FarmIQTestSupport
import FarmIQApp
import FarmIQCore
import FarmIQStorage
import Foundation
import Testing

/// `kill -9` of edge-media-store during a stream of uploads (`contracts.md` §3: a `201` means the file is durable
/// and its row committed): every `201` survives complete, and the restart sweep leaves no temporary file and no
/// file without a row.
@Suite("Media store crash", .serialized)
struct MediaCrashTests {
    struct Stored: Sendable {
        let mediaID: String
        let path: String
        let sha256: String
    }

    @Test("kill -9 mid-stream of uploads: every 201 is on disk complete with its row; no temp file or orphan survives the restart", arguments: DatabaseEngine.allCases)
    func killNineDuringUploads(engine: DatabaseEngine) async throws {
        let databaseURL = try await TestEnvironment.freshDatabaseURL(engine)
        let root = try MediaUploadClient.freshRoot()
        let tenant = TestEnvironment.uniqueName("mcrash")
        let token = try await MediaUploadClient.register("\(tenant)/farm-1/barn-1/cam-1", databaseURL: databaseURL)
        var child = try ChildEdge(
            arguments: ["serve", "media-store"], databaseURL: databaseURL, port: ChildEdge.freePort(),
            settings: ["FARMIQ_MEDIA_ROOT": root])
        try await HTTP.waitUntilReady(child.baseURL)
        // A short timeout: a request cut off by the kill would otherwise wait out the default one.
        let client = MediaUploadClient(baseURL: child.baseURL, token: token, timeout: .seconds(5))

        let stored = LockedValue<[Stored]>([])
        let uploading = Task {
            await withTaskGroup(of: Void.self) { group in
                for lane in 0..<4 {
                    group.addTask {
                        for index in 0..<10_000 {
                            let image = MediaUploadClient.jpeg(seed: lane * 10_000 + index, padTo: 150_000 + (index % 7) * 20_000)
                            guard let answer = try? await client.upload(image, sessionID: nil), answer.status == 201 else { return }
                            if let id = answer.mediaID, let path = answer.path, let sha = answer.sha256 {
                                stored.withLock { $0.append(Stored(mediaID: id, path: path, sha256: sha)) }
                            }
                        }
                    }
                }
            }
        }
        let clock = ContinuousClock()
        let started = clock.now
        try await eventually(timeout: .seconds(60)) { stored.withLock { $0.count } >= 40 }
        await child.kill9()
        print("killed after \(clock.now - started)")
        await uploading.value
        print("uploads ended after \(clock.now - started)")
        let acknowledged = stored.withLock { $0 }
        print("uploads answered 201 before kill -9: \(acknowledged.count)")

        // What a crash between the steps leaves: a temporary file and a published file without a row.
        let orphan = "\(tenant)/farm-1/barn-1/_none/20260101T000000000Z.jpg"
        try FileManager.default.createDirectory(atPath: root + "/\(tenant)/farm-1/barn-1/_none", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: root + "/" + orphan, contents: Data(MediaUploadClient.jpeg())))
        #expect(FileManager.default.createFile(atPath: root + "/.tmp/crashed.part", contents: Data([0xFF, 0xD8, 0xFF])))
        // Not ours: left alone.
        #expect(FileManager.default.createFile(atPath: root + "/README.txt", contents: Data("operator notes".utf8)))

        child = try child.restarted()
        try await HTTP.waitUntilReady(child.baseURL)
        try await eventually(timeout: .seconds(30)) {
            let files = MediaUploadClient.files(under: root)
            return !files.contains { $0.hasPrefix(".tmp/") } && !files.contains(orphan)
        }
        for upload in acknowledged {
            let bytes = FileManager.default.contents(atPath: root + "/" + upload.path).map { Array($0) }
            #expect(bytes.map(MediaUploadClient.sha256) == upload.sha256, "\(upload.path)")
        }
        print("swept after \(clock.now - started)")
        let rows = try await TestDatabase.withDatabase(databaseURL) { database in
            var found = 0
            for upload in acknowledged where try await database.media.object(mediaID: upload.mediaID) != nil { found += 1 }
            return found
        }
        #expect(rows == acknowledged.count)
        // Every image file left has its row.
        let files = MediaUploadClient.files(under: root).filter { $0.hasSuffix(".jpg") }
        let known = try await TestDatabase.withDatabase(databaseURL) { try await $0.media.existingPaths(files) }
        #expect(Set(files) == known)
        #expect(FileManager.default.fileExists(atPath: root + "/README.txt"))
        // And it takes uploads again.
        #expect(try await client.upload(MediaUploadClient.jpeg(seed: 99)).status == 201)
        #expect(await child.stop())
    }
}
