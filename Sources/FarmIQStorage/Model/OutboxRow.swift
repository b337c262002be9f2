import FarmIQCore

/// One row of `sync_outbox` read for delivery.
public struct OutboxRow: Sendable, Hashable {
    public let position: OutboxCursor
    public let tenantID: String
    public let eventID: String
    public let eventType: String
    public let createdAt: Timestamp
    /// The event object of the cloud contract, ready to be placed in a batch.
    public let body: String

    public init(position: OutboxCursor, tenantID: String, eventID: String, eventType: String, createdAt: Timestamp, body: String) {
        self.position = position
        self.tenantID = tenantID
        self.eventID = eventID
        self.eventType = eventType
        self.createdAt = createdAt
        self.body = body
    }
}
