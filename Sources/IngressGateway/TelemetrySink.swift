import FarmIQCore
import FarmIQStorage

/// Where the gateway hands valid telemetry: edge-telemetry-timeseries, in process or over HTTP.
/// `submit` returns only once the batch is committed; it throws if it was not.
public protocol TelemetrySink: Sendable {
    func submit(_ batch: [TelemetrySubmission]) async throws -> IngestCounts
}
