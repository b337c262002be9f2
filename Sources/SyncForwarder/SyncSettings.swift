/// The numbers ``SyncStateMachine`` works with, taken from ``SyncForwarderConfiguration``.
public struct SyncSettings: Sendable, Equatable {
    /// Events read per outbox read, and the most in one batch (1...1000, `contracts.md` §4).
    public var batchSize: Int
    /// Most bytes of one request body as sent (`FARMIQ_SYNC_MAX_BATCH_BYTES`).
    public var maxBatchBytes: Int
    /// Batches in flight while sending; one while failing.
    public var batchesInFlight: Int
    /// Batches read ahead of the cursor, at most (splits may add more).
    public var maximumWindow: Int
    public var backoffBase: Duration
    public var backoffCap: Duration
    public var maximumRetryAfter: Duration
    public var unauthorizedRetryInterval: Duration
    public var pollInterval: Duration
    /// A batch of at least this many bytes that timed out `splitAfterTimeouts` times in a row is split.
    public var splitAfterTimeouts: Int
    public var splitTimeoutMinimumBytes: Int
    /// How long a graceful stop waits for the answers of the batches in flight.
    public var stopGrace: Duration
    /// No send starts with less lease left than this.
    public var minimumLease: Duration

    public init(
        batchSize: Int = 1000, maxBatchBytes: Int = 1 << 20, batchesInFlight: Int = 4, maximumWindow: Int? = nil,
        backoffBase: Duration = .milliseconds(500), backoffCap: Duration = .seconds(30), maximumRetryAfter: Duration = .seconds(300),
        unauthorizedRetryInterval: Duration = .seconds(60), pollInterval: Duration = .milliseconds(200),
        splitAfterTimeouts: Int = 2, splitTimeoutMinimumBytes: Int = 64 << 10, stopGrace: Duration = .seconds(10),
        minimumLease: Duration = .milliseconds(500)
    ) {
        self.batchSize = min(max(batchSize, 1), 1000)
        self.maxBatchBytes = max(maxBatchBytes, 4096)
        self.batchesInFlight = max(batchesInFlight, 1)
        self.maximumWindow = maximumWindow ?? self.batchesInFlight * 4
        self.backoffBase = backoffBase
        self.backoffCap = backoffCap
        self.maximumRetryAfter = maximumRetryAfter
        self.unauthorizedRetryInterval = unauthorizedRetryInterval
        self.pollInterval = pollInterval
        self.splitAfterTimeouts = max(splitAfterTimeouts, 1)
        self.splitTimeoutMinimumBytes = splitTimeoutMinimumBytes
        self.stopGrace = stopGrace
        self.minimumLease = minimumLease
    }
}

extension SyncForwarderConfiguration {
    var settings: SyncSettings {
        SyncSettings(
            batchSize: batchSize, maxBatchBytes: maxBatchBytes, batchesInFlight: batchesInFlight, backoffBase: backoffBase,
            backoffCap: backoffCap, maximumRetryAfter: maximumRetryAfter, unauthorizedRetryInterval: unauthorizedRetryInterval,
            pollInterval: pollInterval, stopGrace: stopGrace)
    }
}
