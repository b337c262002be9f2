import FarmIQCore

/// `device_events` and `ingest_rejects`, written by the ingress gateway, and the event-id register
/// (`ingest_event_ids`) that every ingest writer shares.
public protocol IngressStore: Sendable {
    /// Stores device events and one `sync_outbox` row per new event, in one transaction; idempotent on
    /// `(tenant_id, event_id)` across every kind of message (the event-id register), like ``TelemetryStore/ingest(_:)``.
    func storeEvents(_ events: [DeviceEvent]) async throws -> IngestCounts

    /// Records the rejects in one transaction. A reject whose ``FarmIQCore/IngestReject/fingerprint`` is
    /// already recorded (a redelivery) is skipped. Returns, per reject in order, whether it was recorded now.
    @discardableResult
    func recordRejects(_ rejects: [IngestReject]) async throws -> [Bool]

    /// Prunes the event-id register: deletes at most `limit` ids first received before `seenBefore`.
    /// Returns how many. Run with the validator's horizon (``FarmIQCore/EnvelopeValidator/eventIDHorizonMilliseconds``).
    func pruneEventIDs(seenBefore: Timestamp, limit: Int) async throws -> Int

    /// Ids in the event-id register (all tenants).
    func eventIDCount() async throws -> Int

    /// The newest rejects first, of one tenant or of all (`nil`).
    func rejects(tenantID: String?, limit: Int) async throws -> [StoredReject]

    /// Stored rejects by reason.
    func rejectCounts() async throws -> [String: Int]
}
