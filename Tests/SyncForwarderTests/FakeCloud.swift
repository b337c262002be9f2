import FarmIQTestSupport
import FarmIQCore
import Foundation
import Hummingbird
import NIOCore
@testable import SyncForwarder

/// A minimal cloud for the tests: `POST /api/v1/edge/events` per `contracts.md` §4, deduping by
/// `(tenant_id, event_id)`, with the faults the tests need, recording what overlaps in flight.
actor FakeCloud {
    var unique = Set<String>()
    var accepted = 0
    var duplicates = 0
    var rejected = 0
    var requests = 0
    var requestTimes: [ContinuousClock.Instant] = []
    var rejectTypes: Set<String> = []
    /// Answers for the next requests, in order, before answering normally: (status, Retry-After).
    var scripted: [(Int, String?)] = []
    var latency: Duration = .zero
    var inFlight: [String: Int] = [:]
    var overlaps = 0
    var gzipped = 0
    var authorization: Set<String> = []

    func configure(rejectTypes: Set<String> = [], scripted: [(Int, String?)] = [], latency: Duration = .zero) {
        self.rejectTypes = rejectTypes
        self.scripted = scripted
        self.latency = latency
    }

    var uniqueCount: Int { unique.count }

    func handle(_ body: [UInt8], gzip: Bool, authorization header: String?) async -> (Int, [(String, String)], String) {
        requests += 1
        requestTimes.append(ContinuousClock.now)
        if gzip { gzipped += 1 }
        if let header { authorization.insert(header) }
        if !scripted.isEmpty {
            let (status, retryAfter) = scripted.removeFirst()
            return (status, retryAfter.map { [("Retry-After", $0)] } ?? [], "{}")
        }
        guard let document = try? JSONParser.parse(body), case .array(let events)? = document["events"],
              case .string? = document["batch_id"], case .string? = document["edge_id"] else {
            return (400, [], #"{"error":"bad batch"}"#)
        }
        var keys: [(String, String, String)] = []
        for event in events {
            guard case .string(let tenant)? = event["tenant_id"], case .string(let id)? = event["event_id"],
                  case .string(let type)? = event["event_type"] else { return (400, [], #"{"error":"bad event"}"#) }
            keys.append((tenant, id, type))
        }
        for (tenant, id, _) in keys {
            let key = "\(tenant)/\(id)"
            if inFlight[key, default: 0] > 0 { overlaps += 1 }
            inFlight[key, default: 0] += 1
        }
        if latency > .zero { try? await Task.sleep(for: latency) }
        var results: [String] = []
        for (tenant, id, type) in keys {
            let key = "\(tenant)/\(id)"
            inFlight[key, default: 1] -= 1
            if rejectTypes.contains(type) {
                rejected += 1
                results.append(#"{"event_id":"\#(id)","status":"rejected","reason":"event type \#(type) is not accepted"}"#)
            } else if unique.insert(key).inserted {
                accepted += 1
                results.append(#"{"event_id":"\#(id)","status":"accepted"}"#)
            } else {
                duplicates += 1
                results.append(#"{"event_id":"\#(id)","status":"duplicate"}"#)
            }
        }
        return (200, [], #"{"results":["# + results.joined(separator: ",") + "]}")
    }

    /// Serves the cloud on `port` (0: any) until the returned task is cancelled; returns the bound port.
    nonisolated func serve(port: Int = 0) async throws -> (port: Int, task: Task<Void, any Error>) {
        let router = Router()
        router.post("/api/v1/edge/events") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 64 << 20)
            var bytes = Array(buffer.readableBytesView)
            let gzip = request.headers[.contentEncoding] == "gzip"
            if gzip { bytes = try Gzip.decompress(bytes, limit: 64 << 20) }
            let (status, headers, body) = await self.handle(bytes, gzip: gzip, authorization: request.headers[.authorization])
            var response = Response(status: .init(code: status), body: .init(byteBuffer: ByteBuffer(string: body)))
            response.headers[.contentType] = "application/json"
            for (name, value) in headers {
                if name == "Retry-After" { response.headers[.retryAfter] = value }
            }
            return response
        }
        let (bound, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
            logger: TestDatabase.logger)
        let task = Task { try await app.run() }
        for await port in bound { return (port, task) }
        throw CancellationError()
    }
}

/// A TCP port nothing listens on (bound once, then closed).
func freePort() async throws -> Int {
    let cloud = FakeCloud()
    let (port, task) = try await cloud.serve()
    task.cancel()
    _ = await task.result
    return port
}
