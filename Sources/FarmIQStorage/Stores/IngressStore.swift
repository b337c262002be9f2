import FarmIQCore

/// `device_events` and `ingest_rejects`, written by the ingress gateway.
public protocol IngressStore: Sendable {
    /// Stores device events and one `sync_outbox` row per new event, in one transaction; idempotent on
    /// `(tenant_id, event_id)` like ``TelemetryStore/ingest(_:)``.
    func storeEvents(_ events: [DeviceEvent]) async throws -> IngestCounts

    func recordRejects(_ rejects: [IngestReject]) async throws

    /// The newest rejects first, of one tenant or of all (`nil`).
    func rejects(tenantID: String?, limit: Int) async throws -> [StoredReject]

    /// Stored rejects by reason.
    func rejectCounts() async throws -> [String: Int]
}
