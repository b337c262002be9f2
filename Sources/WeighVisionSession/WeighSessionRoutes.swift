import FarmIQCore
import FarmIQHTTP
import FarmIQStorage
import Hummingbird
import NIOCore

/// The HTTP API of edge-weighvision-session (operator token, `contracts.md` §6):
///
/// - `GET /api/v1/weighvision/sessions?tenant_id=&barn_id=&station_id=&status=&from=&to=&limit=&cursor=`: newest
///   first (by the session's first event), at most `limit` (1–500, default 100); `next_cursor` names the next
///   page, `null` on the last.
/// - `GET /api/v1/weighvision/sessions/{session_id}?tenant_id=`: the session, its last finalized result, its
///   readings and its images (with the URL of each). Another tenant's session is `404`.
/// - `POST /internal/v1/weighvision/batches` (cluster mode: the gateway's session events, see ``FarmIQCore/GatewayBatch``).
public struct WeighSessionRoutes: Sendable {
    let store: any WeighSessionStore
    let policy: SessionPolicy
    let validator: EnvelopeValidator
    let acceptsGatewayBatches: Bool

    /// The media store's rows, for the images of a session (`nil`: the detail lists none).
    let media: (any MediaObjectStore)?

    public init(
        store: any WeighSessionStore, policy: SessionPolicy, validator: EnvelopeValidator = EnvelopeValidator(), acceptsGatewayBatches: Bool,
        media: (any MediaObjectStore)? = nil
    ) {
        self.media = media
        self.store = store
        self.policy = policy
        self.validator = validator
        self.acceptsGatewayBatches = acceptsGatewayBatches
    }

    public static let maxLimit = 500

    public func register(on router: Router<BasicRequestContext>) {
        router.get("/api/v1/weighvision/sessions") { request, _ in
            let query = try Self.query(request.uri.queryParameters)
            let page = try await store.sessions(query)
            let next = page.count == query.limit ? page.last.map {
                SessionCursor(firstOccurredAt: $0.session.firstOccurredAt.millisecondsSinceEpoch, sessionID: $0.sessionID).text
            } : nil
            return Self.json(SessionJSON.page(page, nextCursor: next))
        }
        router.get("/api/v1/weighvision/sessions/{session_id}") { request, context in
            let parameters = request.uri.queryParameters
            guard let tenant = parameters.get("tenant_id"), Identifier.isValidName(tenant) else {
                throw HTTPError(.badRequest, message: "tenant_id is required: 1-64 chars of [A-Za-z0-9_-]")
            }
            guard let sessionID = context.parameters.get("session_id"), Identifier.isValidUUID(sessionID) else {
                throw HTTPError(.badRequest, message: "session_id must be a canonical lower-case UUID")
            }
            guard let stored = try await store.session(tenantID: tenant, sessionID: sessionID) else {
                throw HTTPError(.notFound, message: "no session \(sessionID) for tenant \(tenant)")
            }
            let images = try await media?.images(tenantID: tenant, sessionID: sessionID) ?? []
            return Self.json(SessionJSON.detail(stored, images: images))
        }
        guard acceptsGatewayBatches else { return }
        router.post(RouterPath(GatewayBatch.sessionPath)) { request, _ in
            let body = try await request.body.collect(upTo: GatewayBatch.maxBodyBytes)
            let events: [DeviceEvent]
            do throws(EdgeError) {
                events = try GatewayBatch.decodeEvents(Array(body.readableBytesView), validator: validator, eventTypes: SessionEvent.eventTypes)
            } catch {
                throw HTTPError(.badRequest, message: error.message)
            }
            let counts = try await store.ingest(events, policy: policy)
            return Self.json(GatewayBatch.encodeCounts(counts))
        }
    }

    static func json(_ body: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// Validated list parameters; a bad one is `400` naming it.
    static func query(_ parameters: Parameters) throws -> SessionQuery {
        guard let tenant = parameters.get("tenant_id"), Identifier.isValidName(tenant) else {
            throw HTTPError(.badRequest, message: "tenant_id is required: 1-64 chars of [A-Za-z0-9_-]")
        }
        var query = SessionQuery(tenantID: tenant)
        for name in ["barn_id", "station_id"] {
            guard let value = parameters.get(name) else { continue }
            guard Identifier.isValidName(value) else { throw HTTPError(.badRequest, message: "\(name) must be 1-64 chars of [A-Za-z0-9_-]") }
            if name == "barn_id" { query.barnID = value } else { query.stationID = value }
        }
        if let text = parameters.get("status") {
            guard let status = WeighSession.Status(rawValue: text) else {
                throw HTTPError(.badRequest, message: "status must be open, completed, cancelled or timed_out")
            }
            query.status = status
        }
        for name in ["from", "to"] {
            guard let text = parameters.get(name) else { continue }
            guard let time = Timestamp(rfc3339: text) else { throw HTTPError(.badRequest, message: "\(name) must be an RFC 3339 time") }
            if name == "from" { query.from = time } else { query.to = time }
        }
        if let from = query.from, let to = query.to, from > to { throw HTTPError(.badRequest, message: "from must not be after to") }
        if let text = parameters.get("limit") {
            guard let limit = Int(text), (1...maxLimit).contains(limit) else { throw HTTPError(.badRequest, message: "limit must be 1-\(maxLimit)") }
            query.limit = limit
        }
        if let text = parameters.get("cursor") {
            guard let cursor = SessionCursor(text: text) else { throw HTTPError(.badRequest, message: "cursor must be a next_cursor of a previous page") }
            query.cursor = cursor
        }
        return query
    }
}

extension StoredSession {
    var sessionID: String { session.sessionID }
}
