import FarmIQStorage
import Foundation

/// One request's worth of outbox rows, in outbox order: at most the batch size in events and at most
/// `FARMIQ_SYNC_MAX_BATCH_BYTES` of event bodies (a single event larger than that travels alone).
///
/// `id` orders the forwarder's window and names the batch in ``SyncStateMachine``; `batchID` is the contract's
/// `batch_id` (`contracts.md` §4), kept when the same batch is sent again and new for each half of a split.
public struct SyncBatch: Sendable, Equatable {
    public let id: Int
    public let batchID: String
    public let rows: [OutboxRow]
    /// Bytes of the event bodies plus their separators: what the request body holds besides its fixed envelope.
    public let bytes: Int

    public init(id: Int, batchID: String = UUID().uuidString.lowercased(), rows: [OutboxRow]) {
        self.id = id
        self.batchID = batchID
        self.rows = rows
        self.bytes = rows.reduce(0) { $0 + $1.body.utf8.count + 1 }
    }

    /// Bytes of the JSON envelope around the events (`edge_id`, `batch_id`, brackets), generously.
    static let envelopeBytes = 256

    /// Cuts `rows` (in outbox order) into consecutive batches of at most `maxBytes` as sent. The body is bounded
    /// uncompressed, so it stays under the bound with or without gzip (gzip adds at most 5 bytes per 16 KiB
    /// stored block and 18 bytes of framing, which the margin covers).
    static func cut(_ rows: [OutboxRow], maxBytes: Int, nextID: inout Int) -> [SyncBatch] {
        let budget = max(maxBytes - envelopeBytes - maxBytes / 16_384 * 5 - 32, 1)
        var batches: [SyncBatch] = []
        var start = 0
        var size = 0
        for (index, row) in rows.enumerated() {
            let rowBytes = row.body.utf8.count + 1
            if index > start, size + rowBytes > budget {
                batches.append(SyncBatch(id: nextID, rows: Array(rows[start..<index])))
                nextID += 1
                start = index
                size = 0
            }
            size += rowBytes
        }
        if start < rows.count {
            batches.append(SyncBatch(id: nextID, rows: Array(rows[start...])))
            nextID += 1
        }
        return batches
    }

    /// The two halves of a batch of two or more events, each a new batch (new ids, new `batch_id`).
    func halves(nextID: inout Int) -> (SyncBatch, SyncBatch) {
        precondition(rows.count > 1, "a batch of one event cannot be split")
        let middle = rows.count / 2
        let first = SyncBatch(id: nextID, rows: Array(rows[..<middle]))
        let second = SyncBatch(id: nextID + 1, rows: Array(rows[middle...]))
        nextID += 2
        return (first, second)
    }
}

/// What one delivery commit of the forwarder covers: the contiguous answered prefix of its window.
public struct SyncCommit: Sendable, Equatable {
    /// The position of the last row of the prefix: the new cursor.
    public let through: OutboxCursor
    /// Batches and events in the prefix.
    public let batches: Int
    public let events: Int
    /// Events the cloud rejected (`200` with `rejected`) or refused alone (§4, `FARMIQ_SYNC_MAX_BATCH_BYTES` rule):
    /// parked as dead letters in the same transaction.
    public let rejections: [OutboxRejection]
    public let tenants: Set<String>
}
