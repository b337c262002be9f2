import FarmIQCore

/// One `sync_state` row: per tenant, or the forwarder's own (`tenantID == SyncStateRow.forwarder`).
public struct SyncStateRow: Sendable, Hashable {
    /// The `tenant_id` of the forwarder's own row.
    public static let forwarder = "*"

    /// The tenant, or ``forwarder``.
    public let tenantID: String
    /// The latest delivery commit that carried events of the tenant (any commit for the forwarder's row);
    /// `nil` before the first.
    public let lastSuccessAt: Timestamp?
    /// The forwarder's state when the row was last written, e.g. `sending`, `paused`, `standby`, `error`.
    public let state: String
    /// The detail of that state, e.g. why it is paused; `nil` when none.
    public let detail: String?
    /// When the row was last written.
    public let updatedAt: Timestamp

    /// A record of given values (not checked).
    public init(tenantID: String, lastSuccessAt: Timestamp?, state: String, detail: String?, updatedAt: Timestamp) {
        self.tenantID = tenantID
        self.lastSuccessAt = lastSuccessAt
        self.state = state
        self.detail = detail
        self.updatedAt = updatedAt
    }
}
