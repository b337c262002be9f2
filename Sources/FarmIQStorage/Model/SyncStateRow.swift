import FarmIQCore

/// One `sync_state` row: per tenant, or the forwarder's own (`tenantID == SyncStateRow.forwarder`).
public struct SyncStateRow: Sendable, Hashable {
    public static let forwarder = "*"

    public let tenantID: String
    public let lastSuccessAt: Timestamp?
    public let state: String
    public let detail: String?
    public let updatedAt: Timestamp

    public init(tenantID: String, lastSuccessAt: Timestamp?, state: String, detail: String?, updatedAt: Timestamp) {
        self.tenantID = tenantID
        self.lastSuccessAt = lastSuccessAt
        self.state = state
        self.detail = detail
        self.updatedAt = updatedAt
    }
}
