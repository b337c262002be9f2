import FarmIQCore

/// What one delivery commit writes, atomically: the cursor advance (fenced by the lease owner), the dead
/// letters of the delivered range and `sync_state` (last success per tenant, the forwarder's state).
public struct OutboxDelivery: Sendable {
    /// The consumer stream whose cursor moves; ``OutboxStream/cloud`` by default.
    public var stream: String
    /// The lease owner: the commit writes nothing unless the stream's lease row still names it.
    public var owner: String
    /// The last delivered row, inclusive: the cursor's new position (behind the current cursor, nothing is written).
    public var through: OutboxCursor
    /// Rows of the range the cloud rejected permanently, parked in `sync_dead_letters` (`contracts.md` §4).
    public var rejections: [OutboxRejection]
    /// Tenants whose events were in the delivered batches.
    public var tenants: Set<String>
    /// The commit's time: the cursor's `advanced_at`, the dead letters' `parked_at`, and `sync_state`'s
    /// `last_success_at` and `updated_at`.
    public var deliveredAt: Timestamp
    /// The forwarder state written to the `sync_state` rows of ``tenants`` and of the forwarder (`*`).
    public var state: String
    /// The detail of that state; `nil` clears it.
    public var detail: String?

    /// A delivery; by default on the cloud stream, without rejections, delivered now, in state `sending`.
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
