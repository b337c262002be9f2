import FarmIQCore

/// The state of `sync_outbox` behind the `farmiq_sync_outbox_*` gauges.
public struct OutboxStats: Sendable, Hashable {
    /// Rows after the stream's cursor (including rows whose transaction is not yet below the snapshot xmin).
    public var pending: Int
    /// Age of the first pending row (by `created_at`), 0 when nothing is pending.
    public var oldestPendingAgeSeconds: Double
    /// Rows of `sync_dead_letters`.
    public var deadLetter: Int

    /// The three gauges.
    public init(pending: Int, oldestPendingAgeSeconds: Double, deadLetter: Int) {
        self.pending = pending
        self.oldestPendingAgeSeconds = oldestPendingAgeSeconds
        self.deadLetter = deadLetter
    }

    static func age(oldestCreatedAt: Int64?, now: Timestamp) -> Double {
        guard let oldestCreatedAt else { return 0 }
        return max(0, Double(now.millisecondsSinceEpoch - oldestCreatedAt) / 1000)
    }
}
