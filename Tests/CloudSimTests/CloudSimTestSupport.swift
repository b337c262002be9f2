import AsyncHTTPClient
@testable import CloudSim
import FarmIQCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Testing

/// A cloud-sim on a free loopback port with its own temporary data directory, and an HTTP client.
struct CloudSimHarness: Sendable {
    static let token = "test-token"

    let server: CloudSimServer
    let port: Int
    let client: HTTPClient
    let dataDirectory: String
    /// Ports reported by later binds (after a down period).
    let laterBinds: AsyncStream<Int>

    var controller: CloudSimController { server.controller }
    var base: String { "http://127.0.0.1:\(port)" }

    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "cloud-sim-tests-" + UUID().uuidString.lowercased()
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Runs `body` against a started cloud-sim, then shuts it down gracefully.
    static func run<T: Sendable>(
        dataDirectory: String? = nil,
        configure: (inout CloudSimConfiguration) -> Void = { _ in },
        _ body: @Sendable (CloudSimHarness) async throws -> T
    ) async throws -> T {
        let directory = dataDirectory ?? temporaryDirectory()
        // A port below the kernel's ephemeral range (32768-60999): tests that take cloud-sim down and up must
        // bind the same port again, and a port from the ephemeral range can meanwhile become the local port of
        // some outgoing connection (a pooled database connection lives for minutes), so it never rebinds.
        var configuration = CloudSimConfiguration(host: "127.0.0.1", port: stablePort(), dataDirectory: directory, token: token)
        configure(&configuration)
        var logger = Logger(label: "cloud-sim-test")
        logger.logLevel = .warning
        let (binds, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = try CloudSimServer(configuration: configuration, logger: logger, onBound: { continuation.yield($0) })
        let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = binds.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            let harness = CloudSimHarness(server: server, port: port, client: client, dataDirectory: directory, laterBinds: binds)
            do {
                let result = try await body(harness)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                try await client.shutdown()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                try? await client.shutdown()
                throw error
            }
        }
    }

    /// A free TCP port on loopback in 20000-32767, outside the ephemeral range.
    static func stablePort() -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: 20_000...32_767)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let rc = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if rc == 0 { return port }
        }
        return 0
    }

    /// The port of the next listen after a down period; fails the test after `timeout` rather than hanging the run.
    func nextBind(timeout: Duration = .seconds(30)) async -> Int? {
        let binds = laterBinds
        return await withTaskGroup(of: Int?.self) { group in
            group.addTask {
                var iterator = binds.makeAsyncIterator()
                return await iterator.next()
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// Whether a TCP connection to 127.0.0.1:`port` is accepted (false when refused).
    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return rc == 0
    }

    struct Reply: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: [UInt8]

        var json: JSONValue? { try? JSONParser.parse(body) }

        /// `(event_id, status, reason)` of each result, in order.
        var results: [(id: String, status: String, reason: String?)] {
            guard case .array(let items)? = json?["results"] else { return [] }
            return items.map { item in
                var id = "", status = ""
                var reason: String?
                if case .string(let text)? = item["event_id"] { id = text }
                if case .string(let text)? = item["status"] { status = text }
                if case .string(let text)? = item["reason"] { reason = text }
                return (id, status, reason)
            }
        }
    }

    func send(
        _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, token: String? = CloudSimHarness.token,
        headers: [(String, String)] = [], timeout: TimeAmount = .seconds(30)
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await client.execute(request, timeout: timeout)
        let buffer = try await response.body.collect(upTo: 128 * 1024 * 1024)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Array(buffer.readableBytesView))
    }

    func postEvents(_ body: [UInt8], token: String? = CloudSimHarness.token, headers: [(String, String)] = []) async throws -> Reply {
        try await send(.POST, "/api/v1/edge/events", body: body, token: token, headers: headers)
    }

    func postEvents(_ events: [String], token: String? = CloudSimHarness.token) async throws -> Reply {
        try await postEvents(Fixtures.batch(events), token: token)
    }

    /// The first request after the server came back may be given a pooled connection that the
    /// server closed when it went down; a client (like the forwarder) retries that. Up to 3 tries.
    func postEventsAfterRestart(_ events: [String]) async throws -> Reply {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await postEvents(events)
            } catch let error as ChannelError where error == .ioOnClosedChannel && attempt < 3 {
                continue
            } catch let error as HTTPClientError where error == .remoteConnectionClosed && attempt < 3 {
                continue
            }
        }
    }
}

enum Fixtures {
    static func uuid() -> String { UUID().uuidString.lowercased() }

    static func event(
        tenant: String = "tenant-a", id: String = uuid(), type: String = "telemetry.reading",
        occurredAt: String = "2026-11-29T04:48:42.123Z", payload: String = "{\"readings\":[{\"metric\":\"temperature\",\"value\":24.3}]}"
    ) -> String {
        """
        {"tenant_id":"\(tenant)","farm_id":"farm-1","barn_id":"barn-1","device_id":"dev-1","event_id":"\(id)",\
        "event_type":"\(type)","occurred_at":"\(occurredAt)","schema_version":1,"trace_id":null,"payload":\(payload)}
        """
    }

    static func batch(_ events: [String], batchID: String = uuid(), edgeID: String = "barn-cluster-7") -> [UInt8] {
        Array("{\"edge_id\":\"\(edgeID)\",\"batch_id\":\"\(batchID)\",\"events\":[\(events.joined(separator: ","))]}".utf8)
    }
}
