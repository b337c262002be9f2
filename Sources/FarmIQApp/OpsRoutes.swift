import FarmIQCore
import Hummingbird
import Logging
import NIOCore

/// `GET /health/live`, `GET /health/ready`, `GET /metrics` (`contracts.md` §6), on every mode's port.
struct OpsRoutes: Sendable {
    /// A named dependency check for readiness; throws (or returns false) when not ready.
    struct ReadinessCheck: Sendable {
        let name: String
        let check: @Sendable () async -> Bool
    }

    let checks: [ReadinessCheck]
    let metrics: EdgeMetricsCollector

    func register(on router: Router<BasicRequestContext>) {
        router.get("/health/live") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{\"status\":\"live\"}")))
        }
        router.get("/health/ready") { _, _ in
            var failing: [String] = []
            for check in checks where await !check.check() {
                failing.append(check.name)
            }
            let ready = failing.isEmpty
            var body = "{\"status\":\"\(ready ? "ready" : "not_ready")\",\"failing\":["
            body += failing.map { "\"\($0)\"" }.joined(separator: ",")
            body += "]}"
            return Response(
                status: ready ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        router.get("/metrics") { _, _ in
            let text = await metrics.scrape()
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
    }
}
