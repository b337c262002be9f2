import FarmIQCore

/// A position in `sync_outbox` commit order: `(txid, id)`.
///
/// PostgreSQL orders the outbox by the writing transaction's id (`xid8`) and then the row id; a row is read only
/// once its transaction is below the snapshot's xmin, i.e. finished, so nothing that commits late is skipped.
/// SQLite has one writer, so commit order is id order and `txid` is always 0.
public struct OutboxCursor: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// PostgreSQL: the id of the transaction that wrote the row (`xid8`, as an integer); SQLite: always 0.
    public var txid: Int64
    /// The row's `sync_outbox.id`.
    public var id: Int64

    /// The position `(txid, id)`.
    public init(txid: Int64, id: Int64) {
        self.txid = txid
        self.id = id
    }

    /// `(0, 0)`, before every row: the cursor of a stream that has delivered nothing.
    public static let start = OutboxCursor(txid: 0, id: 0)

    /// Commit order: by `txid`, then by `id`.
    public static func < (lhs: OutboxCursor, rhs: OutboxCursor) -> Bool {
        (lhs.txid, lhs.id) < (rhs.txid, rhs.id)
    }

    /// `(txid,id)`, for logs.
    public var description: String { "(\(txid),\(id))" }
}
