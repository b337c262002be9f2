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

/// One row of `sync_outbox` read for delivery.
public struct OutboxRow: Sendable, Hashable {
    public let position: OutboxCursor
    public let tenantID: String
    public let eventID: String
    public let eventType: String
    public let createdAt: Timestamp
    /// The event object of the cloud contract, ready to be placed in a batch.
    public let body: String

    public init(position: OutboxCursor, tenantID: String, eventID: String, eventType: String, createdAt: Timestamp, body: String) {
        self.position = position
        self.tenantID = tenantID
        self.eventID = eventID
        self.eventType = eventType
        self.createdAt = createdAt
        self.body = body
    }
}

/// An event the cloud rejected permanently, to be parked with the cursor advance.
public struct OutboxRejection: Sendable, Hashable {
    public let row: OutboxRow
    public let reason: String

    public init(row: OutboxRow, reason: String) {
        self.row = row
        self.reason = reason
    }
}

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

/// Names of outbox consumer streams (one cursor and one lease each).
public enum OutboxStream {
    /// The cloud sync forwarder.
    public static let cloud = "cloud"
    /// The outbox benchmark's own stream.
    public static let bench = "bench"
}

/// The lease of a stream as taken or renewed by one owner.
public struct OutboxLease: Sendable, Hashable {
    public let owner: String
    /// The durable cursor at the time the lease was taken or renewed.
    public let cursor: OutboxCursor
    /// The lease's end by the database clock, milliseconds since the epoch.
    public let leaseUntil: Int64

    public init(owner: String, cursor: OutboxCursor, leaseUntil: Int64) {
        self.owner = owner
        self.cursor = cursor
        self.leaseUntil = leaseUntil
    }
}

/// A parked event (`sync_dead_letters`).
public struct DeadLetter: Sendable, Hashable {
    public let id: Int64
    public let tenantID: String
    public let eventID: String
    public let eventType: String
    public let reason: String
    public let parkedAt: Timestamp
    public let body: String

    public init(id: Int64, tenantID: String, eventID: String, eventType: String, reason: String, parkedAt: Timestamp, body: String) {
        self.id = id
        self.tenantID = tenantID
        self.eventID = eventID
        self.eventType = eventType
        self.reason = reason
        self.parkedAt = parkedAt
        self.body = body
    }
}

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

/// Which dead letters an operator acts on.
public enum DeadLetterSelection: Sendable, Hashable {
    case all
    case ids([Int64])
    case eventType(String)
}
