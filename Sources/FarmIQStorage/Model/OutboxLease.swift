import FarmIQCore

/// The lease of a stream as taken or renewed by one owner.
public struct OutboxLease: Sendable, Hashable {
    /// The owner now holding the lease.
    public let owner: String
    /// The durable cursor at the time the lease was taken or renewed.
    public let cursor: OutboxCursor
    /// The lease's end by the database clock, milliseconds since the epoch.
    public let leaseUntil: Int64

    /// A record of given values (not checked).
    public init(owner: String, cursor: OutboxCursor, leaseUntil: Int64) {
        self.owner = owner
        self.cursor = cursor
        self.leaseUntil = leaseUntil
    }
}
