import AsyncHTTPClient
import FarmIQCore
import FarmIQStorage
import Foundation
import NIOCore
import TelemetryTimeseries

/// Cluster mode: telemetry goes to `edge-telemetry-timeseries` over HTTP, as the envelopes received
/// (the service validates them again: it trusts no caller). 200 means committed.
public struct HTTPTelemetrySink: TelemetrySink {
    let client: HTTPClient
    let endpoint: String

    public init(client: HTTPClient, baseURL: String) {
        self.client = client
        self.endpoint = baseURL.hasSuffix("/")
            ? baseURL + String(TelemetryBatchRequest.path.dropFirst())
            : baseURL + TelemetryBatchRequest.path
    }

    public func submit(_ batch: [TelemetrySubmission]) async throws -> IngestCounts {
        let body = TelemetryBatchRequest.encode(batch.map {
            TelemetryBatchRequest.Item(topic: $0.source.topic, receivedAt: $0.source.receivedAt, envelope: $0.source.payload)
        })
        var request = HTTPClientRequest(url: endpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .seconds(30))
        } catch {
            throw EdgeError(.upstreamUnavailable, "telemetry service unreachable at \(endpoint)", cause: error)
        }
        let data = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else {
            let answer = String(decoding: data.readableBytesView.prefix(500), as: UTF8.self)
            // 422: the telemetry service's database refused this data (the gateway isolates the message);
            // anything else is the service or its database being unavailable: retried.
            let code: EdgeError.Code = response.status.code == 422 ? .dataRejected : .upstreamUnavailable
            throw EdgeError(code, "telemetry service answered \(response.status.code): \(answer)")
        }
        return try TelemetryBatchRequest.decodeCounts(Array(data.readableBytesView))
    }
}
