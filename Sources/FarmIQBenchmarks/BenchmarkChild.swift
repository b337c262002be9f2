import AsyncHTTPClient
import FarmIQCore
import Foundation

/// The `farmiq-edge` child processes the benchmarks start (`all-in-one`, `serve media-store`, `cloud-sim`).
enum BenchmarkChild {
    /// Polls `{base}/health/ready` every 100 ms until it answers `200`.
    ///
    /// - Throws: `EdgeError` `.internalError` when the child exits first, or when it is not ready within `timeout`.
    static func waitUntilReady(
        _ child: Process, name: String, http: HTTPClient, base: String, timeout: Duration = .seconds(60)
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard child.isRunning else { throw EdgeError(.internalError, "the \(name) child exited early") }
            if let response = try? await http.execute(HTTPClientRequest(url: base + "/health/ready"), timeout: .seconds(2)),
                response.status == .ok {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw EdgeError(.internalError, "the \(name) child did not become ready in \(timeout)")
    }
}
