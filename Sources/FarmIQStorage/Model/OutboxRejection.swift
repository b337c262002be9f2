import FarmIQCore

/// An event the cloud rejected permanently, to be parked with the cursor advance.
public struct OutboxRejection: Sendable, Hashable {
    /// The rejected row; its ``OutboxRow/position`` `id` selects the outbox row that is parked.
    public let row: OutboxRow
    /// The cloud's reason, kept as ``DeadLetter/reason``.
    public let reason: String

    /// A rejection of `row` for `reason`.
    public init(row: OutboxRow, reason: String) {
        self.row = row
        self.reason = reason
    }
}
