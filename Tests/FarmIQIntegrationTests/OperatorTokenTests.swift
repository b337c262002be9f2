import AsyncHTTPClient
import FarmIQApp
import FarmIQCore
import FarmIQTestSupport
import Foundation
import NIOCore
import Testing

/// `contracts.md` §6 (revision 2): the operator token guards every endpoint but `/health/*` and `/metrics`,
/// and the edge refuses to listen off loopback without it.
@Suite("Operator token")
struct OperatorTokenTests {
    static let token = "operator-token-0123456789abcdef"

    static func status(_ url: String, bearer: String?, post: Bool = false) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = post ? .POST : .GET
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if post {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: #"{"items":[]}"#))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }

    @Test("with FARMIQ_API_TOKEN set, queries and internal routes need it; probes and /metrics do not")
    func theTokenGuardsEveryOperatorEndpoint() async throws {
        let databaseURL = try await TestEnvironment.freshDatabaseURL(.sqlite)
        let edge = try await InProcessEdge.start(mode: .telemetryTimeseries, databaseURL: databaseURL, settings: ["FARMIQ_API_TOKEN": Self.token])
        let base = edge.baseURL
        #expect(try await Self.status(base + "/health/live", bearer: nil) == 200)
        #expect(try await Self.status(base + "/health/ready", bearer: nil) == 200)
        #expect(try await Self.status(base + "/metrics", bearer: nil) == 200)
        for path in ["/api/v1/telemetry/latest?tenant_id=t1", "/api/v1/telemetry/readings?tenant_id=t1", "/api/v1/telemetry/aggregates?tenant_id=t1&bucket=1m"] {
            #expect(try await Self.status(base + path, bearer: nil) == 401, "\(path)")
            #expect(try await Self.status(base + path, bearer: "wrong") == 401, "\(path)")
            #expect(try await Self.status(base + path, bearer: Self.token + "x") == 401, "\(path)")
            #expect(try await Self.status(base + path, bearer: Self.token) == 200, "\(path)")
        }
        #expect(try await Self.status(base + "/internal/v1/telemetry/batches", bearer: nil, post: true) == 401)
        #expect(try await Self.status(base + "/no/such/route", bearer: nil) == 401)  // nothing is revealed without the token
        await edge.stop()
    }

    @Test("without the token the operator endpoints stay open on loopback")
    func withoutTheTokenLoopbackIsOpen() async throws {
        let databaseURL = try await TestEnvironment.freshDatabaseURL(.sqlite)
        let edge = try await InProcessEdge.start(mode: .telemetryTimeseries, databaseURL: databaseURL)
        #expect(try await Self.status(edge.baseURL + "/api/v1/telemetry/latest?tenant_id=t1", bearer: nil) == 200)
        await edge.stop()
    }

    @Test("the edge refuses to listen off loopback without FARMIQ_API_TOKEN, with one line naming it; with it, it starts")
    func offLoopbackNeedsTheToken() async throws {
        let databaseURL = try await TestEnvironment.freshDatabaseURL(.sqlite)
        let port = ChildEdge.freePort()
        let (status, output) = try await TestCommand.run(TestEnvironment.edgeBinary, ["serve", "telemetry-timeseries"], environment: [
            "FARMIQ_DATABASE_URL": databaseURL, "FARMIQ_HTTP_HOST": "0.0.0.0", "FARMIQ_HTTP_PORT": "\(port)", "PATH": "/usr/bin:/bin",
        ])
        #expect(status != 0)
        #expect(output.contains("FARMIQ_API_TOKEN is required when FARMIQ_HTTP_HOST (0.0.0.0) is not a loopback address"), "\(output)")

        let edge = try ChildEdge(
            arguments: ["serve", "telemetry-timeseries"], databaseURL: databaseURL, port: port,
            settings: ["FARMIQ_HTTP_HOST": "0.0.0.0", "FARMIQ_API_TOKEN": Self.token])
        try await eventually { try await HTTP.get("http://127.0.0.1:\(port)/health/live").status == 200 }
        #expect(try await Self.status("http://127.0.0.1:\(port)/api/v1/telemetry/latest?tenant_id=t1", bearer: nil) == 401)
        #expect(try await Self.status("http://127.0.0.1:\(port)/api/v1/telemetry/latest?tenant_id=t1", bearer: Self.token) == 200)
        #expect(await edge.stop())
    }
}
