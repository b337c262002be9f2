import FarmIQCore

/// Settings of edge-ingress-gateway.
public struct IngressGatewayConfiguration: Sendable {
    /// Shared-subscription group; replicas in one group split the messages between them. nil: a plain
    /// subscription (one gateway). Mosquitto 2.0 does not restore shared subscriptions from its
    /// persistence after a restart, so a plain subscription is what a single gateway should use there.
    public var shareGroup: String?
    /// The tenant whose device topics are subscribed to; `+` (default) for every tenant.
    public var tenant: String
    /// Most messages committed in one batch.
    public var batchSize: Int
    /// Most payload bytes committed in one batch (at least one message per batch). 16 MiB by default: with
    /// envelopes at the contract's 64 KiB, a batch of `batchSize` could otherwise reach 128 MiB, and in cluster
    /// mode exceed the telemetry service's request limit (``FarmIQCore/GatewayBatch/maxBodyBytes``).
    public var batchBytes: Int
    /// Backoff between commit attempts while the database (or telemetry service) is unavailable.
    public var retryBase: Duration
    public var retryCap: Duration
    public var validator: EnvelopeValidator
    /// Pause intake (no commit, no acknowledgement) while the database volume is above this.
    public var diskWatermark: DiskWatermark?
    /// Readiness fails while the oldest unacknowledged message is older than this (intake stalled). Default 60 s.
    public var stallThreshold: Duration

    public init(
        shareGroup: String? = "farmiq-ingress",
        tenant: String = "+",
        batchSize: Int = 2000,
        batchBytes: Int = 16 * 1024 * 1024,
        retryBase: Duration = .milliseconds(100),
        retryCap: Duration = .seconds(5),
        validator: EnvelopeValidator = EnvelopeValidator(),
        diskWatermark: DiskWatermark? = nil,
        stallThreshold: Duration = .seconds(60)
    ) {
        self.stallThreshold = stallThreshold
        self.diskWatermark = diskWatermark
        self.shareGroup = shareGroup
        self.tenant = tenant
        self.batchSize = batchSize
        self.batchBytes = batchBytes
        self.retryBase = retryBase
        self.retryCap = retryCap
        self.validator = validator
    }

    /// `$share/{group}/farmiq/v1/{tenant or +}/+/+/+/telemetry` and `…/event` (without `$share/{group}/`
    /// when there is no group).
    public var topicFilters: [String] {
        let prefix = shareGroup.map { "$share/\($0)/" } ?? ""
        return ["telemetry", "event"].map { "\(prefix)farmiq/v1/\(tenant)/+/+/+/\($0)" }
    }
}
