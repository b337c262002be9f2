import FarmIQCore

/// A parked event (`sync_dead_letters`).
public struct DeadLetter: Sendable, Hashable {
    /// `sync_dead_letters.id`, increasing: what ``DeadLetterSelection/ids(_:)`` names.
    public let id: Int64
    /// The event's tenant.
    public let tenantID: String
    /// The event's `event_id` (canonical lower-case UUID).
    public let eventID: String
    /// The event's `event_type`, e.g. `telemetry.reading`.
    public let eventType: String
    /// Why the cloud rejected it: the `reason` of its `rejected` result (`contracts.md` §4).
    public let reason: String
    /// When it was parked: the `deliveredAt` of the delivery commit that carried the rejection.
    public let parkedAt: Timestamp
    /// The event object as it was queued; a retry queues it again unchanged.
    public let body: String

    /// A record of given values (not checked).
    public init(id: Int64, tenantID: String, eventID: String, eventType: String, reason: String, parkedAt: Timestamp, body: String) {
        self.id = id
        self.tenantID = tenantID
        self.eventID = eventID
        self.eventType = eventType
        self.reason = reason
        self.parkedAt = parkedAt
        self.body = body
    }
}
