import FarmIQCore
import PostgresNIO

/// ``IngressStore`` on PostgreSQL: like telemetry, one statement inserting the event-id register, the outbox rows
/// and the events; a batch holding an event stored before also looks them up
/// (``PostgresBackend/writeNewMessages(_:key:operation:insert:)``).
struct PostgresIngressStore: IngressStore {
    let backend: PostgresBackend

    func storeEvents(_ events: [DeviceEvent]) async throws -> IngestCounts {
        guard !events.isEmpty else { return IngestCounts(inserted: 0, duplicates: 0) }
        let (unique, repeats) = BatchDeduplication.firstOccurrences(events) {
            MessageKey(tenantID: $0.address.tenantID, eventID: $0.header.eventID)
        }
        let candidates = unique.map { events[$0] }
        let inserted = try await backend.writeNewMessages(
            candidates, key: { MessageKey(tenantID: $0.address.tenantID, eventID: $0.header.eventID) }, operation: "store events"
        ) { fresh in try await insert(fresh) }
        return IngestCounts(inserted: inserted, duplicates: repeats + candidates.count - inserted)
    }

    private func insert(_ events: [DeviceEvent]) async throws {
        let now = Timestamp.now().millisecondsSinceEpoch
        let tenants = events.map(\.address.tenantID)
        let eventIDs = events.map(\.header.eventID)
        let farms = events.map(\.address.farmID)
        let barns = events.map(\.address.barnID)
        let devices = events.map(\.address.deviceID)
        let types = events.map(\.header.eventType)
        let occurred = events.map(\.header.occurredAt.millisecondsSinceEpoch)
        let received = events.map(\.receivedAt.millisecondsSinceEpoch)
        let traces = events.map { $0.header.traceID ?? "" }  // trace ids are never empty; '' stands for NULL
        let payloads = events.map { JSONWriter.write($0.payload) }
        let bodies = events.map { OutboxEvent($0).body }
        let rows = try await backend.query("""
            WITH msg AS (
                SELECT * FROM unnest(\(tenants)::text[], \(eventIDs)::uuid[], \(farms)::text[], \(barns)::text[], \(devices)::text[],
                                     \(types)::text[], \(occurred)::int8[], \(received)::int8[], \(traces)::text[], \(payloads)::text[], \(bodies)::text[])
                    AS m(tenant_id, event_id, farm_id, barn_id, device_id, event_type, occurred_at, received_at, trace_id, payload, body)
            ), ids AS (
                INSERT INTO ingest_event_ids (tenant_id, event_id, first_seen_at) SELECT tenant_id, event_id, \(now) FROM msg
            ), ob AS (
                INSERT INTO sync_outbox (tenant_id, event_id, event_type, occurred_at, created_at, body)
                SELECT tenant_id, event_id, event_type, occurred_at, \(now), body FROM msg
                RETURNING id, tenant_id, event_id
            ), ev AS (
                INSERT INTO device_events (tenant_id, event_id, farm_id, barn_id, device_id, event_type, occurred_at, received_at, trace_id, payload, outbox_id)
                SELECT m.tenant_id, m.event_id, m.farm_id, m.barn_id, m.device_id, m.event_type, m.occurred_at, m.received_at,
                       NULLIF(m.trace_id, ''), m.payload, ob.id
                FROM msg m JOIN ob ON ob.tenant_id = m.tenant_id AND ob.event_id = m.event_id
                RETURNING 1
            )
            SELECT count(*) FROM ev
            """, "store events")
        do {
            for try await _ in rows {}
        } catch {
            throw PostgresErrors.map(error, "store events")
        }
    }

    @discardableResult
    func recordRejects(_ rejects: [IngestReject]) async throws -> [Bool] {
        guard !rejects.isEmpty else { return [] }
        // A NULL tenant travels as '', a missing fingerprint as an empty bytea (fingerprints are never empty).
        let prefixes = rejects.map { ByteBuffer(bytes: $0.payloadPrefix) }
        let fingerprints = rejects.map { ByteBuffer(bytes: $0.fingerprint ?? []) }
        let rows = try await backend.query("""
            INSERT INTO ingest_rejects (received_at, topic, tenant_id, reason, detail, payload_size, payload_prefix, fingerprint)
            SELECT received_at, topic, NULLIF(tenant_id, ''), reason, detail, payload_size, payload_prefix, NULLIF(fingerprint, ''::bytea)
            FROM unnest(\(rejects.map(\.receivedAt.millisecondsSinceEpoch))::int8[], \(rejects.map(\.topic))::text[],
                \(rejects.map { $0.tenantID ?? "" })::text[], \(rejects.map(\.reason.rawValue))::text[], \(rejects.map(\.detail))::text[],
                \(rejects.map { Int32(clamping: $0.payloadSize) })::int4[], \(prefixes)::bytea[], \(fingerprints)::bytea[])
                WITH ORDINALITY AS r(received_at, topic, tenant_id, reason, detail, payload_size, payload_prefix, fingerprint, ord)
            ORDER BY ord
            ON CONFLICT (fingerprint) DO NOTHING
            RETURNING fingerprint
            """, "record rejects")
        // Which rows went in: RETURNING gives no input position, so match by fingerprint (NULL ones always go in).
        var inserted = Set<[UInt8]>()
        do {
            for try await fingerprint in rows.decode(ByteBuffer?.self) {
                if let fingerprint { inserted.insert(Array(fingerprint.readableBytesView)) }
            }
        } catch {
            throw PostgresErrors.map(error, "record rejects")
        }
        var claimed = Set<[UInt8]>()
        return rejects.map { reject in
            guard let fingerprint = reject.fingerprint else { return true }
            // The first of equal fingerprints in the batch is the one recorded.
            return inserted.contains(fingerprint) && claimed.insert(fingerprint).inserted
        }
    }

    func pruneEventIDs(seenBefore cutoff: Timestamp, limit: Int) async throws -> Int {
        guard limit > 0 else { return 0 }
        let rows = try await backend.query("""
            WITH gone AS (
                DELETE FROM ingest_event_ids WHERE (tenant_id, event_id) IN (
                    SELECT tenant_id, event_id FROM ingest_event_ids WHERE first_seen_at < \(cutoff.millisecondsSinceEpoch)
                    ORDER BY first_seen_at LIMIT \(limit))
                RETURNING 1)
            SELECT count(*) FROM gone
            """, "prune event ids")
        return try rows.integer("prune event ids")
    }

    func eventIDCount() async throws -> Int {
        try await backend.query("SELECT count(*) FROM ingest_event_ids", "count event ids").integer("count event ids")
    }

    func rejects(tenantID: String?, limit: Int) async throws -> [StoredReject] {
        let limit = max(0, min(limit, 10_000))
        let rows = try await backend.query("""
            SELECT id, received_at, topic, tenant_id, reason, detail, payload_size, payload_prefix FROM ingest_rejects
            WHERE (\(tenantID)::text IS NULL OR tenant_id = \(tenantID))
            ORDER BY id DESC LIMIT \(limit)
            """, "query rejects")
        var result: [StoredReject] = []
        do {
            for try await (id, receivedAt, topic, tenant, reason, detail, size, prefix)
                in rows.decode((Int64, Int64, String, String?, String, String, Int32, ByteBuffer).self) {
                result.append(StoredReject(
                    id: id, receivedAt: Timestamp(millisecondsSinceEpoch: receivedAt), topic: topic, tenantID: tenant,
                    reason: reason, detail: detail, payloadSize: Int(size), payloadPrefix: Array(prefix.readableBytesView)))
            }
        } catch {
            throw PostgresErrors.map(error, "query rejects")
        }
        return result
    }

    func rejectCounts() async throws -> [String: Int] {
        let rows = try await backend.query("SELECT reason, count(*) FROM ingest_rejects GROUP BY reason", "count rejects")
        var counts: [String: Int] = [:]
        do {
            for try await (reason, count) in rows.decode((String, Int64).self) { counts[reason] = Int(count) }
        } catch {
            throw PostgresErrors.map(error, "count rejects")
        }
        return counts
    }
}
