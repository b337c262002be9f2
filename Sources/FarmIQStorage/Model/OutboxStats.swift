/// The state of `sync_outbox` behind the `farmiq_sync_outbox_*` gauges.
public struct OutboxStats: Sendable, Hashable {
    public var pending: Int
    /// Age of the oldest pending row (by `created_at`), 0 when nothing is pending.
    public var oldestPendingAgeSeconds: Double
    public var deadLetter: Int

    public init(pending: Int, oldestPendingAgeSeconds: Double, deadLetter: Int) {
        self.pending = pending
        self.oldestPendingAgeSeconds = oldestPendingAgeSeconds
        self.deadLetter = deadLetter
    }
}

/// `sync_outbox.status`.
public enum OutboxStatus: Int16, Sendable {
    case pending = 0
    case delivered = 1
    case dead = 2
}
