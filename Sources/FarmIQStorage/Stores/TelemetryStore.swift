import FarmIQCore

/// `telemetry_raw`, `telemetry_agg` and their `sync_outbox` rows.
public protocol TelemetryStore: Sendable {
    /// Stores a batch in one transaction: one `telemetry_raw` row per message, the 1-minute and 1-hour
    /// `telemetry_agg` upserts, one `sync_outbox` row per newly accepted message.
    ///
    /// Idempotent on `(tenant_id, event_id)`: a message already stored, or repeated in the batch, is counted
    /// as a duplicate and neither stored, aggregated nor queued again. When another writer stores the same
    /// message at the same moment, the batch is retried internally; if it still conflicts the call throws
    /// ``FarmIQCore/EdgeError`` with code ``FarmIQCore/EdgeError/Code/writeConflict`` and the caller retries it.
    ///
    /// The batch comes prepared (``PreparedTelemetryBatch``), so a caller can do that part ahead of the commit;
    /// ``ingest(_:)-([TelemetryMessage])`` prepares and commits in one call.
    func ingest(_ batch: PreparedTelemetryBatch) async throws -> IngestCounts

    /// The readings of `query`, one per reading of each stored message with `occurred_at` in `[from, to)`, oldest first
    /// (by `occurred_at`, `event_id`, reading index), at most ``RawReadingQuery/maxLimit``.
    func rawReadings(_ query: RawReadingQuery) async throws -> [RawReading]

    /// The roll-ups of `query` with `bucket_start` in `[from, to)`, ordered by device, metric and bucket start
    /// (then farm and barn), at most ``AggregateQuery/maxLimit``.
    func aggregates(_ query: AggregateQuery) async throws -> [AggregateBucket]

    /// The latest value per (device, metric) of a tenant, from the 1-hour roll-ups.
    func latest(tenantID: String, deviceID: String?, metric: String?) async throws -> [LatestReading]

    /// Retention: deletes at most `limit` raw rows (messages) with `received_at < olderThan` whose message is delivered
    /// (its outbox row is at or below the cloud stream's cursor, or already purged) and not dead-lettered,
    /// oldest first. Returns the number deleted.
    func deleteSyncedRaw(olderThan: Timestamp, limit: Int) async throws -> Int

    /// Distinct messages (event ids) of the tenant in `telemetry_raw`: what operators and the
    /// crash tests check against what devices sent.
    func messageCount(tenantID: String) async throws -> Int
}

extension TelemetryStore {
    /// Prepares `messages` (``PreparedTelemetryBatch``) and commits them: ``ingest(_:)-(PreparedTelemetryBatch)``.
    public func ingest(_ messages: [TelemetryMessage]) async throws -> IngestCounts {
        try await ingest(PreparedTelemetryBatch(messages))
    }
}
