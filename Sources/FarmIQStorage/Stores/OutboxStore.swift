import FarmIQCore

/// `sync_outbox` and its consumer state: the snapshot-bounded reader, the durable cursor and lease per stream,
/// dead letters, `sync_state`, purge, and the gauges.
///
/// Reading: ``read(after:limit:)`` returns finished rows after a position in `(txid, id)` order. Delivery:
/// ``commit(_:)`` advances the durable cursor over a delivered range, parks the rejected events and records
/// `sync_state`, in one transaction fenced by the lease owner. No per-event update.
public protocol OutboxStore: Sendable {
    /// The gauges of the cloud stream (``OutboxStream/cloud``, whatever the other streams): rows after its cursor,
    /// the first one's age at `now` in seconds (from its `created_at`), and all dead letters; zeros without a cloud
    /// cursor row.
    func stats(now: Timestamp) async throws -> OutboxStats

    /// Events queued since the database began: the outbox id sequence (a retried dead letter counts again).
    /// `farmiq_sync_outbox_queued`; O(1).
    func queuedTotal() async throws -> Int

    /// Finished rows after `position`, in commit order, at most `limit`.
    func read(after position: OutboxCursor, limit: Int) async throws -> [OutboxRow]

    /// The durable cursor of the stream.
    func cursor(stream: String) async throws -> OutboxCursor

    /// Takes or renews the stream's lease for `owner` when it is free, expired or already `owner`'s;
    /// `nil` when another owner holds it. The database clock decides (PostgreSQL's on the cluster).
    func acquireLease(stream: String, owner: String, durationMilliseconds: Int64) async throws -> OutboxLease?

    /// Gives the lease up (graceful shutdown), so a standby takes over at once.
    func releaseLease(stream: String, owner: String) async throws

    /// Advances the cursor to `delivery.through` (never backwards), parks the rejections and updates `sync_state`,
    /// in one transaction, only while `delivery.owner` holds the lease. Returns `false` (and writes nothing)
    /// when the owner lost the lease.
    func commit(_ delivery: OutboxDelivery) async throws -> Bool

    /// Records what the forwarder is doing (the `*` row of `sync_state`).
    func setForwarderState(_ state: String, detail: String?) async throws

    /// `sync_state` rows, the forwarder's (`*`) first.
    func syncState() async throws -> [SyncStateRow]

    /// Dead letters, oldest first.
    func deadLetters(limit: Int) async throws -> [DeadLetter]

    /// Re-queues dead letters as new outbox rows and removes them from the dead letters. Returns how many.
    func retryDeadLetters(_ selection: DeadLetterSelection) async throws -> Int

    /// Deletes dead letters. Returns how many.
    func discardDeadLetters(_ selection: DeadLetterSelection) async throws -> Int

    /// Deletes delivered rows (at or below the cursor of `stream`) created before `olderThan`, in chunks of
    /// `chunkSize` rows per transaction. Returns how many; 0, deleting nothing, when `chunkSize` is not positive.
    func purgeDelivered(stream: String, olderThan: Timestamp, chunkSize: Int) async throws -> Int

}

