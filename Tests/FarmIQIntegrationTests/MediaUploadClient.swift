import FarmIQTestSupport
import AsyncHTTPClient
import Crypto
import FarmIQCore
import FarmIQStorage
import Foundation
import MediaStore
import NIOCore

/// A device uploading images to edge-media-store over real HTTP (AsyncHTTPClient), and what the tests check on disk.
struct MediaUploadClient: Sendable {
    let baseURL: String
    let token: String?
    var timeout: Duration = .seconds(60)

    static let boundary = "farmiq-it-7d1e0c"

    struct Answer: Sendable {
        let status: Int
        let body: String
        var json: JSONValue? { try? JSONParser.parse(body) }
        var mediaID: String? { if case .string(let id)? = json?["media_id"] { id } else { nil } }
        var path: String? { if case .string(let path)? = json?["path"] { path } else { nil } }
        var sha256: String? { if case .string(let sha)? = json?["sha256"] { sha } else { nil } }
    }

    /// A multipart body: fields in order, then the image part (when given).
    static func body(image: [UInt8]?, fields: [(String, String)]) -> [UInt8] {
        var bytes: [UInt8] = []
        for (name, value) in fields {
            bytes += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        if let image {
            bytes += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"top.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n".utf8)
            bytes += image
            bytes += Array("\r\n".utf8)
        }
        bytes += Array("--\(boundary)--\r\n".utf8)
        return bytes
    }

    static func fields(eventID: String, capturedAt: String = "2026-11-30T08:15:00.250Z", sessionID: String? = nil) -> [(String, String)] {
        var fields = [("event_id", eventID), ("captured_at", capturedAt)]
        if let sessionID { fields.append(("session_id", sessionID)) }
        return fields
    }

    func upload(_ image: [UInt8]?, eventID: String = EventID.v7(), capturedAt: String = "2026-11-30T08:15:00.250Z", sessionID: String? = nil) async throws -> Answer {
        try await post(Self.body(image: image, fields: Self.fields(eventID: eventID, capturedAt: capturedAt, sessionID: sessionID)))
    }

    func post(_ body: [UInt8], contentType: String = "multipart/form-data; boundary=\(Self.boundary)") async throws -> Answer {
        var request = HTTPClientRequest(url: baseURL + "/api/v1/media/images")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: contentType)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .init(timeout))
        let answer = try await response.body.collect(upTo: 1 << 20)
        return Answer(status: Int(response.status.code), body: String(buffer: answer))
    }

    func fetch(_ mediaID: String) async throws -> (status: Int, bytes: [UInt8]) {
        var request = HTTPClientRequest(url: baseURL + "/api/v1/media/\(mediaID)")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 32 << 20)
        return (Int(response.status.code), Array(body.readableBytesView))
    }

    /// A registered device and its token, in the database at `databaseURL`.
    static func register(_ address: String, databaseURL: String) async throws -> String {
        let token = DeviceToken.generate()
        let device = DeviceAddress(path: address)!
        try await TestDatabase.withDatabase(databaseURL) { try await $0.devices.add(device, token: try IssuedToken(token: token), at: .now()) }
        return token
    }

    /// A real JPEG of the given size, its pixels seeded so images differ.
    static func jpeg(width: Int = 320, height: Int = 240, seed: Int = 0, padTo size: Int? = nil) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height { for x in 0..<width { pixels[y * width + x] = UInt8(truncatingIfNeeded: x &* 3 &+ y &* 5 &+ seed &* 29) } }
        var bytes = JPEGEncoder.grayscale(pixels, width: width, height: height)!
        if let size, size > bytes.count {
            // Bytes after the end-of-image marker: decoders ignore them, the frame header stays up front.
            bytes += (0..<(size - bytes.count)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed) }
        }
        return bytes
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// Every regular file under `root`, relative paths.
    static func files(under root: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var files: [String] = []
        while let path = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory), !isDirectory.boolValue { files.append(path) }
        }
        return files.sorted()
    }

    static func freshRoot() throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent(TestEnvironment.uniqueName("farmiq-media")).path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        return root
    }
}
