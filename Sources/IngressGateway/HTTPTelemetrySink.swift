import AsyncHTTPClient
import FarmIQCore

/// Cluster mode: telemetry goes to `edge-telemetry-timeseries` over HTTP, as the envelopes received
/// (the service validates them again: it trusts no caller). 200 means committed.
public struct HTTPTelemetrySink: TelemetrySink {
    let poster: GatewayBatchPoster

    public init(client: HTTPClient, baseURL: String, token: String? = nil) {
        poster = GatewayBatchPoster(client: client, baseURL: baseURL, path: GatewayBatch.path, token: token, service: "telemetry service")
    }

    public func submit(_ batch: [TelemetrySubmission]) async throws -> IngestCounts {
        try await poster.post(batch.map { GatewayBatch.Item(topic: $0.source.topic, receivedAt: $0.source.receivedAt, envelope: $0.source.payload) })
    }
}
