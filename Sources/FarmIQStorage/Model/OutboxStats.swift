import FarmIQCore

/// The state of `sync_outbox` behind the `farmiq_sync_outbox_*` gauges.
public struct OutboxStats: Sendable, Hashable {
    /// Rows after the stream's cursor (including rows whose transaction is not yet below the snapshot xmin).
    public var pending: Int
    /// Age of the first pending row (by `created_at`), 0 when nothing is pending.
    public var oldestPendingAgeSeconds: Double
    /// Rows of `sync_dead_letters`.
    public var deadLetter: Int

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

/// `sync_outbox.status` of migration 1. Since migration 2 the cursor says what is delivered and the column
/// stays 0; it is kept only for the SKIP LOCKED baseline of the benchmark.
public enum OutboxStatus: Int16, Sendable {
    case pending = 0
    case delivered = 1
    case dead = 2
}

/// A throughput figure of ``OutboxStore/benchmark(_:rows:batchSize:)``.
public struct OutboxBenchmarkResult: Sendable {
    public var rows: Int
    public var seconds: Double
    public var rowsPerSecond: Double { seconds > 0 ? Double(rows) / seconds : 0 }
    /// Rows/s of each tenth of the run (shows a decline as dead tuples pile up).
    public var segmentRates: [Double]

    public init(rows: Int, seconds: Double, segmentRates: [Double]) {
        self.rows = rows
        self.seconds = seconds
        self.segmentRates = segmentRates
    }
}

public enum OutboxBenchmarkMode: String, Sendable, CaseIterable {
    /// Claim `batchSize` rows `FOR UPDATE SKIP LOCKED` by status, mark them delivered (the textbook loop).
    case skipLocked = "skip-locked"
    /// The snapshot-bounded reader: read after the cursor, advance the cursor once per batch.
    case snapshotCursor = "snapshot-cursor"

    /// The tenant of every benchmark row; the benchmarks refuse a database holding other tenants' events.
    public static let scratchTenant = "farmiq-bench"
}
