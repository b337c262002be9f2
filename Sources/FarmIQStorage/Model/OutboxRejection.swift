import FarmIQCore

/// An event the cloud rejected permanently, to be parked with the cursor advance.
public struct OutboxRejection: Sendable, Hashable {
    public let row: OutboxRow
    public let reason: String

    public init(row: OutboxRow, reason: String) {
        self.row = row
        self.reason = reason
    }
}
