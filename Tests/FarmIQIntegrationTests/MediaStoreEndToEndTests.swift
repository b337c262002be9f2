import FarmIQApp
import FarmIQCore
import FarmIQStorage
import FarmIQTestSupport
import Foundation
import MediaStore
import NIOCore
import Testing

/// edge-media-store over real HTTP (`contracts.md` §3): a device uploads with its token, the file lands at the
/// contract path complete, repeats and conflicts are answered from the row, and every refusal leaves nothing behind.
@Suite("Media store end to end", .serialized)
struct MediaStoreEndToEndTests {
    struct Setup {
        let databaseURL: String
        let root: String
        let edge: InProcessEdge
        let device: MediaUploadClient
        let tenant: String
    }

    static func start(_ engine: DatabaseEngine, settings: [String: String] = [:], volumeUsage: (@Sendable (String) -> Double?)? = nil) async throws -> Setup {
        let databaseURL = try await TestEnvironment.freshDatabaseURL(engine)
        let root = try MediaUploadClient.freshRoot()
        let tenant = TestEnvironment.uniqueName("media")
        let token = try await MediaUploadClient.register("\(tenant)/farm-1/barn-1/cam-1", databaseURL: databaseURL)
        var all = ["FARMIQ_MEDIA_ROOT": root]
        all.merge(settings) { $1 }
        let edge = try await InProcessEdge.start(mode: .mediaStore, databaseURL: databaseURL, settings: all, volumeUsage: volumeUsage)
        return Setup(databaseURL: databaseURL, root: root, edge: edge, device: MediaUploadClient(baseURL: edge.baseURL, token: token), tenant: tenant)
    }

    static func rows(_ setup: Setup) async throws -> MediaBacklog {
        try await TestDatabase.withDatabase(setup.databaseURL) { try await $0.media.backlog() }
    }

    @Test("an upload is stored at its contract path, complete; a repeat answers 200 with the first body, other bytes 409", arguments: DatabaseEngine.allCases)
    func storeRepeatConflictAndFetch(engine: DatabaseEngine) async throws {
        let setup = try await Self.start(engine)
        defer { Task { await setup.edge.stop() } }
        let image = MediaUploadClient.jpeg(seed: 1)
        let eventID = EventID.v7()
        let session = EventID.v7()
        let first = try await setup.device.upload(image, eventID: eventID, capturedAt: "2026-11-30T09:15:00.250+01:00", sessionID: session)
        #expect(first.status == 201, "\(first.body)")
        let expectedPath = "\(setup.tenant)/farm-1/barn-1/\(session)/20261130T081500250Z.jpg"
        #expect(first.path == expectedPath)
        #expect(first.sha256 == MediaUploadClient.sha256(image))
        #expect(first.json?["size_bytes"] == .number(JSONNumber(image.count)))
        #expect(FileManager.default.contents(atPath: setup.root + "/" + expectedPath).map { Array($0) } == image)

        let repeated = try await setup.device.upload(image, eventID: eventID, capturedAt: "2026-11-30T09:15:00.250+01:00", sessionID: session)
        #expect(repeated.status == 200)
        #expect(repeated.body == first.body)
        let conflict = try await setup.device.upload(MediaUploadClient.jpeg(seed: 2), eventID: eventID, sessionID: session)
        #expect(conflict.status == 409, "\(conflict.body)")

        // Another image with the same captured_at in the same session: the collision rule, never an overwrite.
        let other = MediaUploadClient.jpeg(seed: 3)
        let second = try await setup.device.upload(other, capturedAt: "2026-11-30T08:15:00.250Z", sessionID: session)
        #expect(second.status == 201)
        let secondID = try #require(second.mediaID)
        #expect(second.path == "\(setup.tenant)/farm-1/barn-1/\(session)/20261130T081500250Z-\(secondID).jpg")
        #expect(FileManager.default.contents(atPath: setup.root + "/" + expectedPath).map { Array($0) } == image)
        #expect(FileManager.default.contents(atPath: setup.root + "/" + (second.path ?? "")).map { Array($0) } == other)
        #expect(MediaUploadClient.files(under: setup.root).count == 2)

        // GET: the same tenant gets the bytes; another tenant's device gets 404 as if it did not exist.
        let fetched = try await setup.device.fetch(try #require(first.mediaID))
        #expect(fetched.status == 200 && fetched.bytes == image)
        let stranger = MediaUploadClient(
            baseURL: setup.edge.baseURL,
            token: try await MediaUploadClient.register("\(setup.tenant)-x/farm-1/barn-1/cam-9", databaseURL: setup.databaseURL))
        #expect(try await stranger.fetch(try #require(first.mediaID)).status == 404)
        #expect(try await setup.device.fetch(EventID.v7()).status == 404)
        #expect(try await setup.device.fetch("..%2F..%2Fetc%2Fpasswd").status == 404)

        let rows = try await Self.rows(setup)
        #expect(rows.onDisk == 2 && rows.pending == 2)
        #expect(try await HTTP.metric(setup.edge.baseURL, #"farmiq_media_uploads_total{status="201"}"#) == 2)
        #expect(try await HTTP.metric(setup.edge.baseURL, "farmiq_media_pending_upload") == 2)
    }

    @Test("every refusal stores nothing and leaves no file: 401, 403, 415, 413 (size and pixels), 400", arguments: DatabaseEngine.allCases)
    func refusalsLeaveNothing(engine: DatabaseEngine) async throws {
        let setup = try await Self.start(engine)
        defer { Task { await setup.edge.stop() } }
        let image = MediaUploadClient.jpeg()
        let disabledToken = try await MediaUploadClient.register("\(setup.tenant)/farm-1/barn-1/cam-off", databaseURL: setup.databaseURL)
        try await TestDatabase.withDatabase(setup.databaseURL) {
            _ = try await $0.devices.setEnabled(DeviceAddress(path: "\(setup.tenant)/farm-1/barn-1/cam-off")!, false, at: .now())
        }
        let anonymous = MediaUploadClient(baseURL: setup.edge.baseURL, token: nil)
        let unknown = MediaUploadClient(baseURL: setup.edge.baseURL, token: DeviceToken.generate())
        let disabled = MediaUploadClient(baseURL: setup.edge.baseURL, token: disabledToken)
        #expect(try await anonymous.upload(image).status == 401)
        #expect(try await unknown.upload(image).status == 401)
        #expect(try await MediaUploadClient(baseURL: setup.edge.baseURL, token: "'; DROP TABLE devices; --").upload(image).status == 401)
        #expect(try await disabled.upload(image).status == 403)
        #expect(try await setup.device.upload(Array("GIF89a this is not a jpeg".utf8)).status == 415)
        #expect(try await setup.device.upload(Array(repeating: 0x00, count: 5000)).status == 415)
        #expect(try await setup.device.upload(MediaUploadClient.jpeg(padTo: 12 * 1024 * 1024)).status == 413)
        #expect(try await setup.device.upload(JPEGFixtures.declaring(width: 60000, height: 60000)).status == 413)
        #expect(try await setup.device.post(MediaUploadClient.body(image: image, fields: [("captured_at", "2026-11-30T08:15:00Z")])).status == 400)
        #expect(try await setup.device.upload(image, capturedAt: "last tuesday").status == 400)
        #expect(try await setup.device.upload(image, sessionID: "../../x").status == 400)
        #expect(try await setup.device.upload(image, eventID: "../../etc/passwd").status == 400)
        #expect(try await setup.device.post(image, contentType: "image/jpeg").status == 400)
        let refused = try await setup.device.upload(MediaUploadClient.jpeg(padTo: 12 * 1024 * 1024))
        #expect(refused.json?["error"] == .string("payload_too_large"))

        let rows = try await Self.rows(setup)
        #expect(rows.onDisk == 0)
        #expect(MediaUploadClient.files(under: setup.root).isEmpty, "\(MediaUploadClient.files(under: setup.root))")
        // The edge still takes a good upload afterwards.
        #expect(try await setup.device.upload(image).status == 201)
    }

    @Test("hostile bodies are refused fast: 100,000 parts, a 1 MiB header line; a client that disconnects mid-part leaves nothing")
    func hostileBodies() async throws {
        let setup = try await Self.start(.sqlite)
        defer { Task { await setup.edge.stop() } }
        var parts: [UInt8] = []
        for index in 0..<100_000 {
            parts += Array("--\(MediaUploadClient.boundary)\r\nContent-Disposition: form-data; name=\"p\(index)\"\r\n\r\nv\r\n".utf8)
        }
        parts += Array("--\(MediaUploadClient.boundary)--\r\n".utf8)
        let clock = ContinuousClock()
        let start = clock.now
        #expect(try await setup.device.post(parts).status == 400)
        let header = Array("--\(MediaUploadClient.boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"".utf8)
            + [UInt8](repeating: 0x61, count: 1 << 20) + Array("\"\r\n\r\n".utf8)
        #expect(try await setup.device.post(header).status == 400)
        print("hostile bodies refused in \(clock.now - start)")

        // A client that sends half of a 2 MB image and disconnects.
        let image = MediaUploadClient.jpeg(padTo: 2_000_000)
        let body = MediaUploadClient.body(image: image, fields: MediaUploadClient.fields(eventID: EventID.v7()))
        let head = "POST /api/v1/media/images HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(setup.device.token!)\r\n"
            + "Content-Type: multipart/form-data; boundary=\(MediaUploadClient.boundary)\r\nContent-Length: \(body.count)\r\n\r\n"
        try await RawSocket.sendAndClose(port: setup.edge.port, bytes: Array(head.utf8) + body.prefix(body.count / 2))
        try await eventually(timeout: .seconds(20)) {
            MediaUploadClient.files(under: setup.root).isEmpty
        }
        #expect(try await Self.rows(setup).onDisk == 0)
        #expect(try await setup.device.upload(image).status == 201)
    }

    @Test("twenty concurrent uploads of one event_id: one file, one row, one media_id in every answer", arguments: DatabaseEngine.allCases)
    func concurrentRepeats(engine: DatabaseEngine) async throws {
        let setup = try await Self.start(engine)
        defer { Task { await setup.edge.stop() } }
        let image = MediaUploadClient.jpeg(padTo: 300_000)
        let eventID = EventID.v7()
        let answers = try await withThrowingTaskGroup(of: MediaUploadClient.Answer.self) { group in
            for _ in 0..<20 { group.addTask { try await setup.device.upload(image, eventID: eventID) } }
            var answers: [MediaUploadClient.Answer] = []
            for try await answer in group { answers.append(answer) }
            return answers
        }
        #expect(answers.filter { $0.status == 201 }.count == 1)
        #expect(answers.filter { $0.status == 200 }.count == 19)
        #expect(Set(answers.compactMap(\.mediaID)).count == 1)
        #expect(MediaUploadClient.files(under: setup.root).count == 1)
        #expect(try await Self.rows(setup).onDisk == 1)
    }

    @Test("above the hard watermark every upload gets 507 and nothing is written; below it again, uploads resume")
    func hardWatermark() async throws {
        let used = LockedValue(0.97)
        let setup = try await Self.start(.sqlite, settings: ["FARMIQ_MEDIA_HARD_WATERMARK": "0.95"]) { _ in used.withLock { $0 } }
        defer { Task { await setup.edge.stop() } }
        let image = MediaUploadClient.jpeg()
        let full = try await setup.device.upload(image)
        #expect(full.status == 507)
        #expect(full.json?["error"] == .string("disk_full"))
        #expect(MediaUploadClient.files(under: setup.root).isEmpty)
        #expect(try await Self.rows(setup).onDisk == 0)
        used.withLock { $0 = 0.5 }
        #expect(try await setup.device.upload(image).status == 201)
    }
}


/// A client that writes raw bytes and hangs up (an upload cut off mid-part). The blocking socket calls run on a
/// Dispatch thread, never on the test's cooperative pool: on a 2-core machine that pool has two threads, and a
/// `send` blocked until the in-process server reads (which needs the pool) would stall every test in the process.
enum RawSocket {
    static func sendAndClose(port: Int, bytes: [UInt8]) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            DispatchQueue.global().async {
                do {
                    try blockingSendAndClose(port: port, bytes: bytes)
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    private static func blockingSendAndClose(port: Int, bytes: [UInt8]) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw EdgeError(.internalError, "socket failed") }
        defer { close(fd) }
        // A send that cannot progress gives up after 10 s instead of blocking for ever.
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw EdgeError(.internalError, "connect failed") }
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { break }
            offset += sent
        }
        usleep(200_000)
    }
}
