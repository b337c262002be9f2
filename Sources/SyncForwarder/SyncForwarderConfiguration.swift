import FarmIQCore

/// Settings of the sync forwarder. Every field has a documented default; `cloudURL == nil` means paused.
public struct SyncForwarderConfiguration: Sendable {
    /// Base URL of the cloud (`FARMIQ_CLOUD_URL`); `nil`: paused, the outbox only grows.
    public var cloudURL: String?
    /// The edge's bearer token (`FARMIQ_CLOUD_TOKEN`).
    public var token: String?
    /// Names this edge to the cloud (`FARMIQ_EDGE_ID`).
    public var edgeID: String
    /// Identifies this replica in the lease; unique per process. Default: edge id + a random suffix.
    public var ownerID: String
    /// Events per batch, 1...1000 (the contract's maximum). Default 1000.
    public var batchSize: Int
    /// Batches sent concurrently; the cursor advances only over the contiguous delivered prefix. Default 4.
    public var batchesInFlight: Int
    /// Most bytes of one request body as sent (`FARMIQ_SYNC_MAX_BATCH_BYTES`), so no proxy in front of the cloud
    /// meets a body it refuses. Default 1 MiB.
    public var maxBatchBytes: Int
    /// Longest time without progress of one POST while connecting and writing the body (AsyncHTTPClient's
    /// connect/write timeouts), and the base of its whole-request deadline. Default 10 s.
    public var requestTimeout: Duration
    /// The slowest uplink the whole-request deadline allows for: a request of `n` bytes may take
    /// `requestTimeout + n / minimumUplinkBytesPerSecond` in all. Default 16 KiB/s (a 1 MiB batch: 74 s).
    public var minimumUplinkBytesPerSecond: Int
    /// How long a graceful stop (SIGTERM) waits for the answers of batches in flight, to commit them. Default 10 s.
    public var stopGrace: Duration
    /// Exponential backoff with full jitter after 429/5xx/timeouts/connection errors: base and cap. The cap keeps a
    /// link that comes back noticed within a minute. Defaults 0.5 s and 30 s.
    public var backoffBase: Duration
    public var backoffCap: Duration
    /// The longest `Retry-After` honoured (a larger one is cut to this). Default 300 s.
    public var maximumRetryAfter: Duration
    /// Wait between probes while the cloud answers 401/403. Default 60 s.
    public var unauthorizedRetryInterval: Duration
    /// Lease of the outbox stream (two replicas on one PostgreSQL): duration and renew interval. Defaults 5 s / 1.5 s.
    public var leaseDuration: Duration
    public var leaseRenewInterval: Duration
    /// How often an idle forwarder looks for new rows. Default 200 ms.
    public var pollInterval: Duration
    /// gzip the request body (`Content-Encoding: gzip`). Default true.
    public var gzip: Bool
    /// Gives the lease up when `run()` ends, so a standby takes over at once. Default true (tests turn it off to
    /// imitate a `kill -9`).
    public var releaseLeaseOnStop: Bool
    /// Delivered outbox rows are deleted once older than this, in chunks of `purgeChunkSize`, every
    /// `purgeInterval`, by the lease holder. Defaults 1 h, 10,000, 60 s.
    public var deliveredRetention: Duration
    public var purgeChunkSize: Int
    public var purgeInterval: Duration
    /// Test-only fault hook (`FARMIQ_SYNC_PAUSE_AFTER_ACCEPT_MS`): sleep between the cloud's 200 and marking the
    /// batch delivered, so a crash test can `kill -9` the process in that window. 0 in production.
    public var pauseAfterAccept: Duration

    public init(
        cloudURL: String?, token: String?, edgeID: String, ownerID: String? = nil,
        batchSize: Int = 1000, maxBatchBytes: Int = 1 << 20, batchesInFlight: Int = 4, requestTimeout: Duration = .seconds(10),
        minimumUplinkBytesPerSecond: Int = 16 << 10, stopGrace: Duration = .seconds(10),
        backoffBase: Duration = .milliseconds(500), backoffCap: Duration = .seconds(30), maximumRetryAfter: Duration = .seconds(300),
        unauthorizedRetryInterval: Duration = .seconds(60), leaseDuration: Duration = .seconds(5),
        leaseRenewInterval: Duration = .milliseconds(1500), pollInterval: Duration = .milliseconds(200), gzip: Bool = true,
        releaseLeaseOnStop: Bool = true, pauseAfterAccept: Duration = .zero,
        deliveredRetention: Duration = .seconds(3600), purgeChunkSize: Int = 10_000, purgeInterval: Duration = .seconds(60)
    ) {
        self.cloudURL = cloudURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.token = token
        self.edgeID = edgeID
        self.ownerID = ownerID ?? "\(edgeID)-\(UInt32.random(in: 0...UInt32.max))"
        self.batchSize = min(max(batchSize, 1), 1000)
        self.maxBatchBytes = max(maxBatchBytes, 4096)
        self.batchesInFlight = max(batchesInFlight, 1)
        self.requestTimeout = requestTimeout
        self.minimumUplinkBytesPerSecond = max(minimumUplinkBytesPerSecond, 1)
        self.stopGrace = stopGrace
        self.backoffBase = backoffBase
        self.backoffCap = min(backoffCap, .seconds(30))
        self.maximumRetryAfter = maximumRetryAfter
        self.unauthorizedRetryInterval = unauthorizedRetryInterval
        self.leaseDuration = leaseDuration
        self.leaseRenewInterval = leaseRenewInterval
        self.pollInterval = pollInterval
        self.gzip = gzip
        self.releaseLeaseOnStop = releaseLeaseOnStop
        self.pauseAfterAccept = pauseAfterAccept
        self.deliveredRetention = deliveredRetention
        self.purgeChunkSize = max(purgeChunkSize, 1)
        self.purgeInterval = purgeInterval
    }

    /// From the process configuration, plus the test-only `FARMIQ_SYNC_PAUSE_AFTER_ACCEPT_MS` of `environment`.
    public init(_ configuration: EdgeConfiguration, environment: [String: String] = [:]) {
        let pause = environment["FARMIQ_SYNC_PAUSE_AFTER_ACCEPT_MS"].flatMap(Int.init) ?? 0
        self.init(cloudURL: configuration.cloudURL, token: configuration.cloudToken, edgeID: configuration.edgeID,
                  maxBatchBytes: configuration.syncMaxBatchBytes, pauseAfterAccept: .milliseconds(max(0, pause)))
    }

    var eventsURL: String? { cloudURL.map { "\($0)/api/v1/edge/events" } }
}
