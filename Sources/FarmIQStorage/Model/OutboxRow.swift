import FarmIQCore

/// One row of `sync_outbox` read for delivery.
public struct OutboxRow: Sendable, Hashable {
    /// The row's place in commit order; the stream's cursor moves to it once it is delivered.
    public let position: OutboxCursor
    /// The event's tenant.
    public let tenantID: String
    /// The event's `event_id` (canonical lower-case UUID); the cloud dedupes by `(tenant_id, event_id)`.
    public let eventID: String
    /// The event's `event_type`, e.g. `telemetry.reading`, `media.stored`.
    public let eventType: String
    /// When the row was queued (`created_at`, the edge's clock).
    public let createdAt: Timestamp
    /// The event object of the cloud contract, ready to be placed in a batch.
    public let body: String

    /// A record of given values (not checked).
    public init(position: OutboxCursor, tenantID: String, eventID: String, eventType: String, createdAt: Timestamp, body: String) {
        self.position = position
        self.tenantID = tenantID
        self.eventID = eventID
        self.eventType = eventType
        self.createdAt = createdAt
        self.body = body
    }
}
