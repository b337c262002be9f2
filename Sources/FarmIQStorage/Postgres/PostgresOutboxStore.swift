import FarmIQCore
import Foundation
import PostgresNIO

/// ``OutboxStore`` on PostgreSQL: the snapshot-bounded reader (PgQ's idea).
///
/// Every outbox row carries `txid = pg_current_xact_id()` of the transaction that wrote it. A reader takes only
/// rows with `txid < pg_snapshot_xmin(pg_current_snapshot())`: their transactions have finished, so no row can
/// appear later below that bound (a long transaction's early row has `txid ≥ xmin` until it commits). The
/// rows are read in `(txid, id)` order after the durable cursor (index `sync_outbox_order`); delivery moves the
/// cursor with one row update per commit and never touches the outbox rows, which are deleted in bulk later.
struct PostgresOutboxStore: OutboxStore {
    let backend: PostgresBackend

    static let nowMS: PostgresQuery = "(extract(epoch from clock_timestamp()) * 1000)::int8"

    /// Pending = rows ever enqueued − rows the cursor passed (migration 11): the tally rows written since the last
    /// call are folded into the total first, so the cost follows the inserts since then, not the backlog.
    func stats(now: Timestamp) async throws -> OutboxStats {
        let rows = try await backend.query("""
            WITH folded AS (
                DELETE FROM sync_outbox_tally RETURNING n
            ), total AS (
                UPDATE sync_outbox_total SET enqueued = enqueued + (SELECT coalesce(sum(n), 0) FROM folded) RETURNING enqueued
            )
            SELECT (SELECT enqueued FROM total) - c.delivered,
                   (SELECT o.created_at FROM sync_outbox o WHERE (o.txid, o.id) > (c.txid, c.last_id) ORDER BY o.txid, o.id LIMIT 1),
                   (SELECT count(*) FROM sync_dead_letters)
            FROM sync_cursor c WHERE c.stream = \(OutboxStream.cloud)
            """, "outbox stats")
        do {
            for try await (pending, oldest, dead) in rows.decode((Int64, Int64?, Int64).self) {
                return OutboxStats(
                    pending: Int(pending), oldestPendingAgeSeconds: OutboxStats.age(oldestCreatedAt: oldest, now: now),
                    deadLetter: Int(dead))
            }
        } catch {
            throw PostgresErrors.map(error, "outbox stats")
        }
        return OutboxStats(pending: 0, oldestPendingAgeSeconds: 0, deadLetter: 0)
    }

    func queuedTotal() async throws -> Int {
        try await backend.query("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM sync_outbox_id_seq", "outbox sequence").integer("outbox sequence")
    }

    func read(after position: OutboxCursor, limit: Int) async throws -> [OutboxRow] {
        let rows = try await backend.query("""
            SELECT o.id, o.txid::text::int8 AS tx, o.tenant_id, o.event_id::text, o.event_type, o.created_at, o.body FROM sync_outbox o
            WHERE (o.txid, o.id) > (\(position.txid)::int8::text::xid8, \(position.id))
              AND o.txid < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY o.txid, o.id LIMIT \(limit)
            """, "read outbox")
        var result: [OutboxRow] = []
        result.reserveCapacity(limit)
        do {
            for try await (id, txid, tenant, eventID, eventType, createdAt, body)
                in rows.decode((Int64, Int64, String, String, String, Int64, String).self) {
                result.append(OutboxRow(
                    position: OutboxCursor(txid: txid, id: id), tenantID: tenant, eventID: eventID, eventType: eventType,
                    createdAt: Timestamp(millisecondsSinceEpoch: createdAt), body: body))
            }
        } catch {
            throw PostgresErrors.map(error, "read outbox")
        }
        return result
    }

    func cursor(stream: String) async throws -> OutboxCursor {
        let rows = try await backend.query(
            "SELECT txid::text::int8, last_id FROM sync_cursor WHERE stream = \(stream)", "read outbox cursor")
        do {
            for try await (txid, id) in rows.decode((Int64, Int64).self) { return OutboxCursor(txid: txid, id: id) }
        } catch {
            throw PostgresErrors.map(error, "read outbox cursor")
        }
        return .start
    }

    func acquireLease(stream: String, owner: String, durationMilliseconds: Int64) async throws -> OutboxLease? {
        // A stream without a row (a new stream) gets one; the conditional UPDATE is the lease itself.
        try await backend.query(
            "INSERT INTO sync_cursor (stream) VALUES (\(stream)) ON CONFLICT (stream) DO NOTHING", "take outbox lease")
        let rows = try await backend.query("""
            UPDATE sync_cursor SET owner = \(owner), lease_until = (extract(epoch from clock_timestamp()) * 1000)::int8 + \(durationMilliseconds)
            WHERE stream = \(stream)
              AND (owner IS NULL OR owner = \(owner) OR lease_until < (extract(epoch from clock_timestamp()) * 1000)::int8)
            RETURNING txid::text::int8, last_id, lease_until
            """, "take outbox lease")
        do {
            for try await (txid, id, until) in rows.decode((Int64, Int64, Int64).self) {
                return OutboxLease(owner: owner, cursor: OutboxCursor(txid: txid, id: id), leaseUntil: until)
            }
        } catch {
            throw PostgresErrors.map(error, "take outbox lease")
        }
        return nil
    }

    func releaseLease(stream: String, owner: String) async throws {
        try await backend.query(
            "UPDATE sync_cursor SET owner = NULL, lease_until = 0 WHERE stream = \(stream) AND owner = \(owner)", "release outbox lease")
    }

    func commit(_ delivery: OutboxDelivery) async throws -> Bool {
        let now = delivery.deliveredAt.millisecondsSinceEpoch
        let ids = delivery.rejections.map(\.row.position.id)
        let reasons = delivery.rejections.map(\.reason)
        let tenants = delivery.tenants.sorted() + [SyncStateRow.forwarder]
        // One statement, so one round trip and atomic on its own. The fence: only the lease owner moves the
        // cursor, and never backwards; the row lock serializes this with a takeover. The dead letters and
        // sync_state are written only when the cursor moved.
        let rows = try await backend.query("""
            WITH moved AS (
                UPDATE sync_cursor SET txid = \(delivery.through.txid)::int8::text::xid8, last_id = \(delivery.through.id), advanced_at = \(now),
                    delivered = delivered + (SELECT count(*) FROM sync_outbox o WHERE (o.txid, o.id) > (sync_cursor.txid, sync_cursor.last_id)
                        AND (o.txid, o.id) <= (\(delivery.through.txid)::int8::text::xid8, \(delivery.through.id)))
                WHERE stream = \(delivery.stream) AND owner = \(delivery.owner)
                  AND (txid, last_id) <= (\(delivery.through.txid)::int8::text::xid8, \(delivery.through.id))
                RETURNING 1
            ), parked AS (
                INSERT INTO sync_dead_letters (outbox_id, tenant_id, event_id, event_type, occurred_at, created_at, body, reason, parked_at)
                SELECT o.id, o.tenant_id, o.event_id, o.event_type, o.occurred_at, o.created_at, o.body, r.reason, \(now)
                FROM unnest(\(ids)::int8[], \(reasons)::text[]) AS r(id, reason) JOIN sync_outbox o ON o.id = r.id
                WHERE EXISTS (SELECT 1 FROM moved)
            ), state AS (
                INSERT INTO sync_state (tenant_id, last_success_at, state, detail, updated_at)
                SELECT t, \(now), \(delivery.state), \(delivery.detail), \(now) FROM unnest(\(tenants)::text[]) AS t
                WHERE EXISTS (SELECT 1 FROM moved)
                ON CONFLICT (tenant_id) DO UPDATE SET
                    last_success_at = GREATEST(sync_state.last_success_at, excluded.last_success_at),
                    state = excluded.state, detail = excluded.detail, updated_at = excluded.updated_at
            )
            SELECT count(*) FROM moved
            """, "commit outbox delivery")
        return try rows.integer("commit outbox delivery") == 1
    }

    func setForwarderState(_ state: String, detail: String?) async throws {
        let now = Timestamp.now().millisecondsSinceEpoch
        try await backend.query("""
            INSERT INTO sync_state (tenant_id, last_success_at, state, detail, updated_at)
            VALUES (\(SyncStateRow.forwarder), NULL, \(state), \(detail), \(now))
            ON CONFLICT (tenant_id) DO UPDATE SET state = excluded.state, detail = excluded.detail, updated_at = excluded.updated_at
            """, "record sync state")
    }

    func syncState() async throws -> [SyncStateRow] {
        let rows = try await backend.query("""
            SELECT tenant_id, last_success_at, state, detail, updated_at FROM sync_state
            ORDER BY tenant_id <> \(SyncStateRow.forwarder), tenant_id
            """, "read sync state")
        var result: [SyncStateRow] = []
        do {
            for try await (tenant, last, state, detail, updated) in rows.decode((String, Int64?, String, String?, Int64).self) {
                result.append(SyncStateRow(
                    tenantID: tenant, lastSuccessAt: last.map(Timestamp.init(millisecondsSinceEpoch:)), state: state, detail: detail,
                    updatedAt: Timestamp(millisecondsSinceEpoch: updated)))
            }
        } catch {
            throw PostgresErrors.map(error, "read sync state")
        }
        return result
    }

    func deadLetters(limit: Int) async throws -> [DeadLetter] {
        let rows = try await backend.query("""
            SELECT id, tenant_id, event_id::text, event_type, reason, parked_at, body FROM sync_dead_letters ORDER BY id LIMIT \(limit)
            """, "list dead letters")
        var result: [DeadLetter] = []
        do {
            for try await (id, tenant, eventID, eventType, reason, parkedAt, body)
                in rows.decode((Int64, String, String, String, String, Int64, String).self) {
                result.append(DeadLetter(
                    id: id, tenantID: tenant, eventID: eventID, eventType: eventType, reason: reason,
                    parkedAt: Timestamp(millisecondsSinceEpoch: parkedAt), body: body))
            }
        } catch {
            throw PostgresErrors.map(error, "list dead letters")
        }
        return result
    }

    private static func filter(_ selection: DeadLetterSelection) -> (all: Bool, ids: [Int64], type: String?) {
        switch selection {
        case .all: (true, [], nil)
        case .ids(let ids): (false, ids, nil)
        case .eventType(let type): (false, [], type)
        }
    }

    func retryDeadLetters(_ selection: DeadLetterSelection) async throws -> Int {
        let (all, ids, type) = PostgresOutboxStore.filter(selection)
        let now = Timestamp.now().millisecondsSinceEpoch
        // New outbox rows (new txid, so after the cursor); the domain rows point at them, so raw retention
        // keeps them until they are delivered.
        let rows = try await backend.query("""
            WITH d AS (
                DELETE FROM sync_dead_letters WHERE \(all) OR id = ANY(\(ids)::int8[]) OR event_type = \(type)::text
                RETURNING id, tenant_id, event_id, event_type, occurred_at, body
            ), ins AS (
                INSERT INTO sync_outbox (tenant_id, event_id, event_type, occurred_at, created_at, body)
                SELECT tenant_id, event_id, event_type, occurred_at, \(now), body FROM d ORDER BY id
                RETURNING id, tenant_id, event_id, occurred_at, body
            ), raw AS (
                -- telemetry_raw has no key of its own (the event-id register is the key): found through the series index.
                UPDATE telemetry_raw r SET outbox_id = ins.id FROM ins
                WHERE r.tenant_id = ins.tenant_id AND r.device_id = ins.body::jsonb->>'device_id'
                  AND r.occurred_at = ins.occurred_at AND r.event_id = ins.event_id
            ), ev AS (
                UPDATE device_events e SET outbox_id = ins.id FROM ins WHERE e.tenant_id = ins.tenant_id AND e.event_id = ins.event_id
            )
            SELECT count(*) FROM ins
            """, "retry dead letters")
        return try rows.integer("retry dead letters")
    }

    func discardDeadLetters(_ selection: DeadLetterSelection) async throws -> Int {
        let (all, ids, type) = PostgresOutboxStore.filter(selection)
        let rows = try await backend.query("""
            WITH d AS (DELETE FROM sync_dead_letters WHERE \(all) OR id = ANY(\(ids)::int8[]) OR event_type = \(type)::text RETURNING 1)
            SELECT count(*) FROM d
            """, "discard dead letters")
        return try rows.integer("discard dead letters")
    }

    func purgeDelivered(stream: String, olderThan cutoff: Timestamp, chunkSize: Int) async throws -> Int {
        guard chunkSize > 0 else { return 0 }  // (SQLite reads LIMIT 0 and below as "none" or "no limit": the loop never ended)
        var total = 0
        while true {
            let rows = try await backend.query("""
                WITH c AS (SELECT txid, last_id FROM sync_cursor WHERE stream = \(stream)),
                doomed AS (
                    SELECT o.id FROM sync_outbox o, c
                    WHERE (o.txid, o.id) <= (c.txid, c.last_id) AND o.created_at < \(cutoff.millisecondsSinceEpoch)
                    ORDER BY o.txid, o.id LIMIT \(chunkSize)
                ), deleted AS (
                    DELETE FROM sync_outbox WHERE id IN (SELECT id FROM doomed) RETURNING 1
                )
                SELECT count(*) FROM deleted
                """, "purge delivered outbox rows")
            let count = try rows.integer("purge delivered outbox rows")
            total += count
            if count < chunkSize { return total }
        }
    }
}
