import FarmIQCore
import FarmIQHTTP
import FarmIQStorage
import HTTPTypes
import Hummingbird
import NIOCore

/// The HTTP API of edge-media-store (`contracts.md` §3):
/// - `POST /api/v1/media/images` — a device uploads an image (device token); `201`/`200`
///   `{"media_id","sha256","size_bytes","path"}`, or `400`/`401`/`403`/`409`/`413`/`415`/`507` with
///   `{"error","message"}`.
/// - `GET /api/v1/media/{media_id}` — the image, to a device of the same tenant or the operator (§6); another
///   tenant's image is `404`; an image whose file was reclaimed after reaching the cloud is `410`.
///
/// These routes check their own credentials; ``OperatorTokenMiddleware`` lets them through.
public struct MediaRoutes: Sendable {
    let intake: MediaIntake
    let store: any MediaObjectStore
    let authenticator: DeviceAuthenticator
    let metrics: MediaMetrics
    let fileIO = FileIO()

    public init(intake: MediaIntake, registry: any DeviceRegistry, operatorToken: String?, metrics: MediaMetrics) {
        self.intake = intake
        self.store = intake.store
        self.authenticator = DeviceAuthenticator(registry: registry, operatorToken: operatorToken)
        self.metrics = metrics
    }

    /// Paths these routes answer (they authenticate themselves).
    public static func isDeviceEndpoint(_ path: String) -> Bool {
        path.hasPrefix("/api/v1/media/")
    }

    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.post("/api/v1/media/images") { request, context in
            try await self.upload(request)
        }
        router.get("/api/v1/media/{media_id}") { request, context in
            try await self.fetch(request, mediaID: context.parameters.get("media_id") ?? "", context: context)
        }
    }

    func upload(_ request: Request) async throws -> Response {
        do {
            let device = try await authenticator.device(authorization: request.headers[.authorization])
            let answer = try await intake.receive(
                from: device, contentType: request.headers[.contentType],
                contentLength: request.headers[.contentLength].flatMap { Int($0) }, body: request.body)
            metrics.answered(status: answer.status, storedBytes: answer.status == 201 ? Int(answer.object.sizeBytes) : 0)
            var headers: HTTPFields = [.contentType: "application/json"]
            headers[.location] = "/api/v1/media/\(answer.object.mediaID)"
            return Response(
                status: .init(code: answer.status), headers: headers,
                body: .init(byteBuffer: ByteBuffer(string: answer.object.uploadAnswerJSON)))
        } catch let error as EdgeError {
            metrics.answered(status: error.code.httpStatus)
            if error.code.httpStatus >= 500 {
                intake.logger.error("media upload failed", metadata: ["error": "\(error)"])
            }
            throw error
        }
    }

    func fetch(_ request: Request, mediaID: String, context: some RequestContext) async throws -> Response {
        let caller = try await authenticator.caller(authorization: request.headers[.authorization])
        let notFound = EdgeError(.notFound, "no media \(mediaID)")
        guard Identifier.isValidUUID(mediaID), let object = try await store.object(mediaID: mediaID) else { throw notFound }
        if case .device(let device) = caller, device.address.tenantID != object.address.tenantID { throw notFound }
        if object.evictedAt != nil {
            let body = #"{"error":"gone","message":"the file was reclaimed to free the media volume after the cloud stored it"}"#
            return Response(status: .gone, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        let body: ResponseBody
        do {
            body = try await fileIO.loadFile(path: intake.volume.absolute(object.path), context: context)
        } catch {
            throw notFound
        }
        var headers: HTTPFields = [.contentType: "image/jpeg"]
        headers[.eTag] = "\"\(object.sha256)\""
        headers[.contentSHA256] = object.sha256
        return Response(status: .ok, headers: headers, body: body)
    }
}

extension HTTPField.Name {
    /// The hex SHA-256 of a body, as the cloud's media endpoint takes it (`contracts.md` §4).
    static let contentSHA256 = HTTPField.Name("Content-SHA256")!
}
