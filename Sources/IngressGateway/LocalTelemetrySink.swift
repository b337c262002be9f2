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
}
