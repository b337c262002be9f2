import FarmIQCore
import FarmIQStorage

/// Where the gateway hands valid telemetry: edge-telemetry-timeseries, in process or over HTTP.
/// `submit` returns only once the batch is committed; it throws if it was not.
public protocol TelemetrySink: Sendable {
    func submit(_ batch: [TelemetrySubmission]) async throws -> IngestCounts

    /// The part of committing `batch` that needs no I/O, done by the gateway while the previous batch commits;
    /// `nil` when this sink has none (the HTTP sink: the telemetry service prepares on its side).
    func prepare(_ batch: [TelemetrySubmission]) -> PreparedTelemetryBatch?

    /// ``submit(_:)`` with `prepared`, which ``prepare(_:)`` made from this same `batch` (or `nil`).
    func submit(_ batch: [TelemetrySubmission], prepared: PreparedTelemetryBatch?) async throws -> IngestCounts
}

extension TelemetrySink {
    public func prepare(_ batch: [TelemetrySubmission]) -> PreparedTelemetryBatch? { nil }

    public func submit(_ batch: [TelemetrySubmission], prepared: PreparedTelemetryBatch?) async throws -> IngestCounts {
        try await submit(batch)
    }
}
