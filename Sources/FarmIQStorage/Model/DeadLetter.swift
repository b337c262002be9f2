import FarmIQCore

/// A parked event (`sync_dead_letters`).
public struct DeadLetter: Sendable, Hashable {
    public let id: Int64
    public let tenantID: String
    public let eventID: String
    public let eventType: String
    public let reason: String
    public let parkedAt: Timestamp
    public let body: String

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
