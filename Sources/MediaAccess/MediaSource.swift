import AsyncHTTPClient
import FarmIQCore
import NIOCore
import _NIOFileSystem

/// Where the forwarder and the inference workers read an image's bytes: the media volume itself (all-in-one, or the volume mounted into the
/// forwarder), or edge-media-store's `GET /api/v1/media/{media_id}` with the operator token (cluster mode,
/// `FARMIQ_MEDIA_URL`). Either way the bytes are checked against the row's SHA-256 before they are sent.
public enum MediaSource: Sendable {
    case volume(root: String)
    case http(baseURL: String, operatorToken: String?, client: HTTPClient)

    /// The image's bytes (at most 16 MiB). Throws when they cannot be had now; `nil` when they are gone for good
    /// (no file, `404`/`410`).
    public func bytes(of object: MediaObject) async throws -> ByteBuffer? {
        switch self {
        case .volume(let root):
            do {
                return try await ByteBuffer(contentsOf: FilePath(object.path.absolute(under: root)), maximumSizeAllowed: .mebibytes(16))
            } catch let error as FileSystemError where error.code == .notFound {
                return nil
            }
        case .http(let baseURL, let token, let client):
            var request = HTTPClientRequest(url: "\(baseURL)/api/v1/media/\(object.mediaID)")
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            let response = try await client.execute(request, timeout: .seconds(60))
            let body = try await response.body.collect(upTo: 16 << 20)
            switch response.status.code {
            case 200: return body
            case 404, 410: return nil
            default: throw EdgeError(.upstreamUnavailable, "the media store answered \(response.status.code) for \(object.mediaID)")
            }
        }
    }
}
