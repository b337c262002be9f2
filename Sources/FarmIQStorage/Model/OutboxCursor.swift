import FarmIQCore

/// A position in `sync_outbox` commit order: `(txid, id)`.
///
/// PostgreSQL orders the outbox by the writing transaction's id (`xid8`) and then the row id; a row is read only
/// once its transaction is below the snapshot's xmin, i.e. finished, so nothing that commits late is skipped.
/// SQLite has one writer, so commit order is id order and `txid` is always 0.
public struct OutboxCursor: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var txid: Int64
    public var id: Int64

    public init(txid: Int64, id: Int64) {
        self.txid = txid
        self.id = id
    }

    public static let start = OutboxCursor(txid: 0, id: 0)

    public static func < (lhs: OutboxCursor, rhs: OutboxCursor) -> Bool {
        (lhs.txid, lhs.id) < (rhs.txid, rhs.id)
    }

    public var description: String { "(\(txid),\(id))" }
}
