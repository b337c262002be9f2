import FarmIQCore
import Hummingbird
import MediaStore
import NIOCore

/// `contracts.md` §6: every endpoint other than `/health/*`, `/metrics` and the device endpoints (§3, which
/// check device tokens themselves) requires `Authorization: Bearer {FARMIQ_API_TOKEN}` when the token is set.
/// Internal service-to-service routes (`/internal/…`) require it too: in the cluster the gateway sends it.
///
/// A missing or wrong token answers `401` with `WWW-Authenticate: Bearer` and a JSON body
/// `{"error":"unauthorized","message":…}`; the comparison takes the same time wherever the tokens differ.
struct OperatorTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String

    /// Paths anyone may call: probes and the Prometheus scrape.
    static func isOpen(_ path: String) -> Bool {
        path == "/health/live" || path == "/health/ready" || path == "/metrics"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.isOpen(request.uri.path) || MediaRoutes.isDeviceEndpoint(request.uri.path) { return try await next(request, context) }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            ConstantTime.equal(header.dropFirst("Bearer ".count), token)
        else {
            let body = #"{"error":"unauthorized","message":"this endpoint requires Authorization: Bearer {FARMIQ_API_TOKEN}"}"#
            return Response(
                status: .unauthorized,
                headers: [.contentType: "application/json", .wwwAuthenticate: "Bearer realm=\"farmiq-edge\""],
                body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        return try await next(request, context)
    }
}
