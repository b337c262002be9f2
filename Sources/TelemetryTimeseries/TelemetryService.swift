import FarmIQCore
import FarmIQStorage
import Logging

/// edge-telemetry-timeseries: the owner of `telemetry_raw` and `telemetry_agg`.
///
/// Stores readings idempotently with their roll-ups and outbox rows (one transaction, in the store),
/// and answers tenant-scoped queries. Other services reach it through this API or over HTTP.
public final class TelemetryService: Sendable {
    let store: any TelemetryStore
    let logger: Logger

    public init(store: any TelemetryStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// Commits a batch; returns only once it is durable.
    public func ingest(_ messages: [TelemetryMessage]) async throws -> IngestCounts {
        try await store.ingest(messages)
    }

    /// Commits a batch prepared ahead (``PreparedTelemetryBatch``); returns only once it is durable.
    public func ingest(_ batch: PreparedTelemetryBatch) async throws -> IngestCounts {
        try await store.ingest(batch)
    }

    public func rawReadings(_ query: RawReadingQuery) async throws -> [RawReading] {
        try await store.rawReadings(query)
    }

    public func aggregates(_ query: AggregateQuery) async throws -> [AggregateBucket] {
        try await store.aggregates(query)
    }

    public func latest(tenantID: String, deviceID: String?, metric: String?) async throws -> [LatestReading] {
        try await store.latest(tenantID: tenantID, deviceID: deviceID, metric: metric)
    }
}
