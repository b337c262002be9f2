import FarmIQCore
import TelemetryTimeseries
import FarmIQStorage

/// All-in-one mode: telemetry goes straight to the telemetry service in the same process.
public struct LocalTelemetrySink: TelemetrySink {
    let service: TelemetryService

    public init(service: TelemetryService) {
        self.service = service
    }

    public func submit(_ batch: [TelemetrySubmission]) async throws -> IngestCounts {
        try await service.ingest(batch.map(\.message))
    }

    public func prepare(_ batch: [TelemetrySubmission]) -> PreparedTelemetryBatch? {
        PreparedTelemetryBatch(batch.map(\.message))
    }

    public func submit(_ batch: [TelemetrySubmission], prepared: PreparedTelemetryBatch?) async throws -> IngestCounts {
        guard let prepared else { return try await submit(batch) }
        return try await service.ingest(prepared)
    }
}
