import AsyncHTTPClient
import FarmIQCore
import Foundation
import NIOCore

/// Cluster mode: posts a batch of received messages (``FarmIQCore/GatewayBatch``) to the service that owns them;
/// `200` means committed. `token` is the operator token (`FARMIQ_API_TOKEN`), which guards internal routes too.
/// A `422` (the owner's database refused the data) is ``FarmIQCore/EdgeError/Code/dataRejected``, so the gateway
/// isolates the message; anything else is ``FarmIQCore/EdgeError/Code/upstreamUnavailable`` and retried.
struct GatewayBatchPoster: Sendable {
    let client: HTTPClient
    let endpoint: String
    let token: String?
    /// Names the owner in errors ("telemetry service").
    let service: String

    init(client: HTTPClient, baseURL: String, path: String, token: String?, service: String) {
        self.client = client
        self.endpoint = baseURL.hasSuffix("/") ? baseURL + String(path.dropFirst()) : baseURL + path
        self.token = token
        self.service = service
    }

    func post(_ items: [GatewayBatch.Item]) async throws -> IngestCounts {
        var request = HTTPClientRequest(url: endpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(bytes: GatewayBatch.encode(items)))
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .seconds(30))
        } catch {
            throw EdgeError(.upstreamUnavailable, "\(service) unreachable at \(endpoint)", cause: error)
        }
        let data = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else {
            let answer = String(decoding: data.readableBytesView.prefix(500), as: UTF8.self)
            let code: EdgeError.Code = response.status.code == 422 ? .dataRejected : .upstreamUnavailable
            throw EdgeError(code, "\(service) answered \(response.status.code): \(answer)")
        }
        return try GatewayBatch.decodeCounts(Array(data.readableBytesView))
    }
}
