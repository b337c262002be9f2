import FarmIQCore

/// What one delivery commit writes, atomically: the cursor advance (fenced by the lease owner), the dead
/// letters of the delivered range and `sync_state` (last success per tenant, the forwarder's state).
public struct OutboxDelivery: Sendable {
    public var stream: String
    public var owner: String
    public var through: OutboxCursor
    public var rejections: [OutboxRejection]
    /// Tenants whose events were in the delivered batches.
    public var tenants: Set<String>
    public var deliveredAt: Timestamp
    public var state: String
    public var detail: String?

    public init(
        stream: String = OutboxStream.cloud, owner: String, through: OutboxCursor, rejections: [OutboxRejection] = [],
        tenants: Set<String>, deliveredAt: Timestamp = .now(), state: String = "sending", detail: String? = nil
    ) {
        self.stream = stream
        self.owner = owner
        self.through = through
        self.rejections = rejections
        self.tenants = tenants
        self.deliveredAt = deliveredAt
        self.state = state
        self.detail = detail
    }
}
