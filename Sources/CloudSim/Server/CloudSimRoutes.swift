import Crypto
import FarmIQCore
import Hummingbird
import Logging
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The HTTP API of cloud-sim.
///
/// - `POST /api/v1/edge/events` and `PUT /api/v1/edge/media/{tenant_id}/{media_id}` (`contracts.md` §4), with faults
/// - `GET /admin/stats`, `GET /admin/faults`, `POST /admin/faults` (merge), `DELETE /admin/faults` (clear, and up),
///   `POST /admin/down` (`{"for_ms": n, "mode": "refuse"|"unavailable"}`), `GET /admin/events/{tenant_id}/{event_id}`
/// - `GET /health/live`, `GET /health/ready`
struct CloudSimRoutes: Sendable {
    let configuration: CloudSimConfiguration
    let controller: CloudSimController
    let media: MediaFiles
    let logger: Logger

    static let eventsPath = "/api/v1/edge/events"

    func register(on router: Router<CloudSimRequestContext>) {
        router.add(middleware: ConnectionTrackingMiddleware(registry: controller.connections))
        router.post(RouterPath(CloudSimRoutes.eventsPath)) { request, context in
            try await events(request, context)
        }
        router.put("/api/v1/edge/media/{tenant_id}/{media_id}") { request, context in
            try await putMedia(request, context)
        }
        router.get("/health/live") { _, _ in CloudSimRoutes.json(.ok, "{\"status\":\"ok\"}") }
        router.get("/health/ready") { _, _ in CloudSimRoutes.json(.ok, "{\"status\":\"ok\"}") }
        registerAdmin(on: router)
    }

    // MARK: Events

    private func events(_ request: Request, _ context: CloudSimRequestContext) async throws -> Response {
        controller.count(\.requests)
        if let refused = gate(request) { return refused }
        var request = request
        let body: [UInt8]
        switch try await readBody(&request, limit: configuration.maxRequestBytes) {
        case .success(let bytes): body = bytes
        case .failure(let failure): return failure.response
        }
        let batch: EventBatch
        do throws(EventBatch.Failure) {
            batch = try EventBatch.parse(body, maxEvents: configuration.maxEventsPerBatch)
        } catch {
            controller.count(\.badRequests)
            return CloudSimRoutes.error(HTTPResponse.Status(code: error.status), error.message)
        }

        let refused = controller.faults.refuseEventIDs
        if !refused.isEmpty, let event = batch.entries.lazy.compactMap(\.eventID).first(where: { refused.contains($0) }) {
            controller.count(\.refused)
            return CloudSimRoutes.error(HTTPResponse.Status(code: controller.faults.refuseStatus), "event \(event) is refused (fault injection)")
        }

        var keys: Set<String> = []
        for case .valid(let event) in batch.entries {
            keys.insert(InFlightTracker.key(tenantID: event.tenantID, eventID: event.eventID))
        }
        controller.tracker.enter(keys)
        defer { controller.tracker.leave(keys) }

        let fault = try await injectLatencyAndDrawFault()
        if let response = try await refuse(with: fault, context: context) { return response }

        let results = try await process(batch)
        var bytes = EventResult.responseBody(results)
        var headers: HTTPFields = [.contentType: "application/json"]
        if CloudSimRoutes.acceptsGzip(request) {
            bytes = Gzip.compress(bytes)
            headers[.contentEncoding] = "gzip"
            headers[.vary] = "Accept-Encoding"
        }
        if fault == .reset {
            controller.count(\.resets)
            logger.debug("cloud-sim: resetting connection mid-response", metadata: ["batch.id": "\(batch.batchID)"])
            return CloudSimRoutes.resetMidResponse(bytes, headers: headers, channel: context.channel)
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// Rejects by type (fault), stores the rest, and lists the outcome of every event in request order.
    private func process(_ batch: EventBatch) async throws -> [EventResult] {
        let rejectTypes = controller.faults.rejectEventTypes
        var results: [EventResult?] = []
        results.reserveCapacity(batch.entries.count)
        var toStore: [EventBatch.Event] = []
        var storeSlots: [Int] = []
        for entry in batch.entries {
            switch entry {
            case .invalid(let eventID, let reason):
                results.append(EventResult(eventID: eventID, status: .rejected, reason: reason))
            case .valid(let event) where rejectTypes.contains(event.eventType):
                results.append(EventResult(
                    eventID: event.eventID, status: .rejected,
                    reason: "event_type \(event.eventType) is rejected by cloud-sim (fault injection)"))
            case .valid(let event):
                storeSlots.append(results.count)
                results.append(nil)
                toStore.append(event)
            }
        }
        let rejected = results.count - toStore.count
        let fresh = try await controller.store.record(events: toStore, batchID: batch.batchID, rejected: rejected, now: .now())
        for (index, slot) in storeSlots.enumerated() {
            results[slot] = EventResult(eventID: toStore[index].eventID, status: fresh[index] ? .accepted : .duplicate, reason: nil)
        }
        return results.map { $0! }
    }

    // MARK: Media

    private func putMedia(_ request: Request, _ context: CloudSimRequestContext) async throws -> Response {
        controller.count(\.requests)
        if let refused = gate(request) { return refused }
        guard let tenantID = context.parameters.get("tenant_id"), let mediaID = context.parameters.get("media_id"),
            let path = media.path(tenantID: tenantID, mediaID: mediaID)
        else {
            controller.count(\.badRequests)
            return CloudSimRoutes.error(.badRequest, "tenant_id must be 1-64 chars of [A-Za-z0-9_-] and media_id a canonical lower-case UUID")
        }
        guard let declared = request.headers[.init("Content-SHA256")!]?.lowercased(),
            declared.utf8.count == 64, declared.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else {
            controller.count(\.badRequests)
            return CloudSimRoutes.error(.badRequest, "Content-SHA256 must be the 64 hex digits of the body's SHA-256")
        }
        var request = request
        let body: [UInt8]
        switch try await readBody(&request, limit: configuration.maxMediaBytes) {
        case .success(let bytes): body = bytes
        case .failure(let failure): return failure.response
        }
        let fault = try await injectLatencyAndDrawFault()
        if let response = try await refuse(with: fault, context: context) { return response }

        let actual = SHA256.hexDigest(body)
        guard actual == declared else {
            controller.count(\.mediaHashMismatch)
            return CloudSimRoutes.error(.badRequest, "Content-SHA256 does not match the body (body hashes to \(actual))")
        }
        let files = media
        let status: HTTPResponse.Status = try await controller.store.withMedia(tenantID: tenantID, mediaID: mediaID, now: .now()) { existing in
            if let existing {
                return existing.sha256 == actual ? (nil, true, .ok) : (nil, false, .conflict)
            }
            try files.write(body, to: path)
            return (CloudSimStore.MediaRecord(sha256: actual, size: body.count), false, .created)
        }
        if status == .conflict {
            return CloudSimRoutes.error(.conflict, "media \(mediaID) is already stored with different content")
        }
        let text = "{\"tenant_id\":\"\(tenantID)\",\"media_id\":\"\(mediaID)\",\"sha256\":\"\(actual)\",\"size\":\(body.count)}"
        if fault == .reset {
            controller.count(\.resets)
            return CloudSimRoutes.resetMidResponse(Array(text.utf8), headers: [.contentType: "application/json"], channel: context.channel)
        }
        return CloudSimRoutes.json(status, text)
    }

    // MARK: Shared steps

    /// Down (`unavailable` mode) and authorization, before the body is read.
    private func gate(_ request: Request) -> Response? {
        if let retryAfter = controller.unavailableRetryAfter() {
            controller.count(\.unavailable)
            var response = CloudSimRoutes.error(.serviceUnavailable, "cloud-sim is down (fault injection)")
            response.headers[.retryAfter] = String(retryAfter)
            return response
        }
        guard let authorization = request.headers[.authorization], authorization.hasPrefix("Bearer ") else {
            controller.count(\.unauthorized)
            return CloudSimRoutes.unauthorized("Authorization: Bearer {token} is required")
        }
        let token = authorization.dropFirst("Bearer ".count)
        let valid = configuration.token.map { ConstantTime.equal(token, $0) } ?? !token.isEmpty
        guard valid else {
            controller.count(\.unauthorized)
            return CloudSimRoutes.unauthorized("the bearer token is not valid")
        }
        return nil
    }

    /// The body, inflated when `Content-Encoding: gzip`, or the error response (413, 400, 415).
    private func readBody(_ request: inout Request, limit: Int) async throws -> Result<[UInt8], ResponseFailure> {
        let faults = controller.faults
        let limit = min(limit, faults.maxBodyBytes ?? .max)
        let buffer: ByteBuffer
        do {
            if let rate = faults.uploadBytesPerSecond {
                buffer = try await CloudSimRoutes.collectSlowly(request.body, upTo: limit, bytesPerSecond: rate)
            } else {
                buffer = try await request.collectBody(upTo: limit)
            }
        } catch is NIOTooManyBytesError {
            controller.count(\.badRequests)
            controller.count(\.tooLarge)
            return .failure(ResponseFailure(CloudSimRoutes.error(.contentTooLarge, "the body is larger than \(limit) bytes")))
        }
        let raw = Array(buffer.readableBytesView)
        let encoding = request.headers[.contentEncoding].map { CloudSimRoutes.trimmed($0).lowercased() } ?? "identity"
        switch encoding {
        case "identity", "":
            return .success(raw)
        case "gzip", "x-gzip":
            do throws(Gzip.Failure) {
                return .success(try Gzip.decompress(raw, limit: configuration.maxDecompressedBytes))
            } catch {
                controller.count(\.badRequests)
                switch error {
                case .tooLarge(let limit):
                    return .failure(ResponseFailure(CloudSimRoutes.error(.contentTooLarge, "the gzip body inflates to more than \(limit) bytes")))
                case .invalid(let message):
                    return .failure(ResponseFailure(CloudSimRoutes.error(.badRequest, "the gzip body is invalid: \(message)")))
                }
            }
        default:
            controller.count(\.badRequests)
            return .failure(ResponseFailure(CloudSimRoutes.error(.unsupportedMediaType, "Content-Encoding must be gzip or identity")))
        }
    }

    /// Reads a body no faster than `bytesPerSecond` (a slow uplink; TCP flow control slows the sender).
    static func collectSlowly(_ body: RequestBody, upTo limit: Int, bytesPerSecond: Int) async throws -> ByteBuffer {
        var collected = ByteBuffer()
        for try await chunk in body {
            guard collected.readableBytes + chunk.readableBytes <= limit else { throw NIOTooManyBytesError(maxBytes: limit) }
            collected.writeImmutableBuffer(chunk)
            try await Task.sleep(for: .seconds(Double(chunk.readableBytes) / Double(bytesPerSecond)))
        }
        return collected
    }

    private func injectLatencyAndDrawFault() async throws -> CloudSimFaults.Fault? {
        let latency = controller.faults.latency
        if latency > .zero { try await Task.sleep(for: latency) }
        return controller.drawFault()
    }

    /// The response for a fault that refuses the request (nil for none or `reset`, which processes first).
    private func refuse(with fault: CloudSimFaults.Fault?, context: CloudSimRequestContext) async throws -> Response? {
        switch fault {
        case nil, .reset?:
            return nil
        case .throttle?:
            controller.count(\.throttled)
            var response = CloudSimRoutes.error(.tooManyRequests, "slow down (fault injection)")
            response.headers[.retryAfter] = String(controller.faults.retryAfterSeconds)
            return response
        case .serverError?:
            controller.count(\.serverErrors)
            let status = controller.faults.serverErrorStatus
            var response = CloudSimRoutes.error(HTTPResponse.Status(code: status), "injected server error (fault injection)")
            if status == 503 { response.headers[.retryAfter] = "1" }
            return response
        case .resetBeforeProcessing?:
            controller.count(\.resets)
            await CloudSimRoutes.reset(context.channel)
            throw ConnectionReset()
        }
    }

    // MARK: Responses

    struct ResponseFailure: Error {
        let response: Response
        init(_ response: Response) { self.response = response }
    }

    /// Thrown after the connection was reset on purpose; nothing more can be sent.
    struct ConnectionReset: Error {}

    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        var text = "{\"error\":"
        JSONWriter.writeString(message, into: &text)
        text += "}"
        return json(status, text)
    }

    static func unauthorized(_ message: String) -> Response {
        var response = error(.unauthorized, message)
        response.headers[.wwwAuthenticate] = "Bearer realm=\"farmiq-cloud-sim\""
        return response
    }

    static func acceptsGzip(_ request: Request) -> Bool {
        guard let accept = request.headers[.acceptEncoding] else { return false }
        return accept.split(separator: ",").contains { part in
            let pieces = part.split(separator: ";").map { trimmed($0).lowercased() }
            guard pieces.first == "gzip" || pieces.first == "x-gzip" else { return false }
            // `gzip;q=0` means "not gzip".
            return !pieces.dropFirst().contains { $0 == "q=0" || $0 == "q=0.0" || $0 == "q=0.00" || $0 == "q=0.000" }
        }
    }

    static func trimmed(_ text: some StringProtocol) -> String {
        String(text.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }


    /// A `200` whose head and first half of the body go out, then the connection is reset (TCP RST).
    static func resetMidResponse(_ bytes: [UInt8], headers: HTTPFields, channel: any Channel) -> Response {
        let half = ByteBuffer(bytes: bytes.prefix(bytes.count / 2))
        return Response(status: .ok, headers: headers, body: ResponseBody(contentLength: bytes.count) { writer in
            try await writer.write(half)
            await reset(channel)
            throw ConnectionReset()
        })
    }

    /// Closes the connection with `SO_LINGER` 0, so the peer sees a reset rather than an orderly close.
    static func reset(_ channel: any Channel) async {
        if let provider = channel as? any SocketOptionProvider {
            try? await provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
        }
        try? await channel.close()
    }
}
