import FarmIQCore
import PostgresNIO

/// ``TelemetryStore`` on PostgreSQL.
///
/// A batch costs one round trip: one statement writes everything with array binds (`unnest`): the event-id register,
/// the outbox rows, the raw rows (one per message) joined to their outbox ids, and the pre-aggregated roll-up
/// upserts, as data-modifying CTEs of one statement (atomic on its own). A batch holding a message stored before
/// costs two more (``PostgresBackend/writeNewMessages(_:key:operation:insert:)``).
///
/// COPY FROM (supported by PostgresNIO 1.33) is not used: it needs its own round trips per table and the
/// outbox ids would have to come back separately; the single statement already binds everything at once.
struct PostgresTelemetryStore: TelemetryStore {
    let backend: PostgresBackend

    func ingest(_ prepared: PreparedTelemetryBatch) async throws -> IngestCounts {
        let messages = prepared.messages
        guard !messages.isEmpty else { return IngestCounts(inserted: 0, duplicates: 0) }
        let candidates = prepared.unique.map { messages[$0] }
        let inserted = try await backend.writeNewMessages(
            candidates, key: { MessageKey(tenantID: $0.address.tenantID, eventID: $0.header.eventID) }, operation: "ingest telemetry"
        ) { fresh in
            // The prepared columns and deltas hold for all candidates; a redelivery leaves fewer, recomputed.
            try await insert(fresh, prepared: fresh.count == candidates.count ? prepared : nil)
        }
        return IngestCounts(inserted: inserted, duplicates: prepared.repeats + candidates.count - inserted)
    }

    private func insert(_ messages: [TelemetryMessage], prepared: PreparedTelemetryBatch?) async throws {
        let now = Timestamp.now().millisecondsSinceEpoch
        var tenants: [String] = [], eventIDs: [String] = [], farms: [String] = [], barns: [String] = [], devices: [String] = []
        var occurred: [Int64] = [], received: [Int64] = [], bodies: [String] = []
        tenants.reserveCapacity(messages.count)
        for message in messages {
            tenants.append(message.address.tenantID)
            eventIDs.append(message.header.eventID)
            farms.append(message.address.farmID)
            barns.append(message.address.barnID)
            devices.append(message.address.deviceID)
            occurred.append(message.header.occurredAt.millisecondsSinceEpoch)
            received.append(message.receivedAt.millisecondsSinceEpoch)
            bodies.append(message.outboxBody)
        }
        let readings: [String]
        let deltas: [(key: AggregateKey, delta: AggregateDelta)]
        if let prepared {
            (readings, deltas) = (prepared.readingsColumns, prepared.deltas)
        } else {
            var accumulator = AggregateAccumulator()
            readings = messages.map { accumulator.add($0); return ReadingsColumn.encode($0.readings) }
            deltas = accumulator.deltas
        }
        var aggTenants: [String] = [], aggFarms: [String] = [], aggBarns: [String] = [], aggDevices: [String] = [], aggMetrics: [String] = []
        var aggSizes: [Int32] = [], aggStarts: [Int64] = [], aggCounts: [Int64] = [], aggSums: [Double] = [], aggMins: [Double] = []
        var aggMaxes: [Double] = [], aggLasts: [Double] = [], aggLastAts: [Int64] = [], aggLastIDs: [String] = []
        // `deltas` come in primary-key order: concurrent batches lock the roll-up rows they share in the same order.
        for (key, delta) in deltas {
            aggTenants.append(key.tenantID)
            aggFarms.append(key.farmID)
            aggBarns.append(key.barnID)
            aggDevices.append(key.deviceID)
            aggMetrics.append(key.metric)
            aggSizes.append(Int32(key.bucketSeconds))
            aggStarts.append(key.bucketStart)
            aggCounts.append(Int64(delta.count))
            aggSums.append(delta.sum)
            aggMins.append(delta.min)
            aggMaxes.append(delta.max)
            aggLasts.append(delta.lastValue)
            aggLastAts.append(delta.lastOccurredAt)
            aggLastIDs.append(delta.lastEventID)
        }
        let query: PostgresQuery = """
            WITH msg AS (
                SELECT * FROM unnest(\(tenants)::text[], \(eventIDs)::uuid[], \(farms)::text[], \(barns)::text[], \(devices)::text[],
                                     \(occurred)::int8[], \(received)::int8[], \(bodies)::text[], \(readings)::text[])
                    AS m(tenant_id, event_id, farm_id, barn_id, device_id, occurred_at, received_at, body, readings)
            ), ids AS (
                INSERT INTO ingest_event_ids (tenant_id, event_id, first_seen_at) SELECT tenant_id, event_id, \(now) FROM msg
            ), ob AS (
                INSERT INTO sync_outbox (tenant_id, event_id, event_type, occurred_at, created_at, body)
                SELECT tenant_id, event_id, 'telemetry.reading', occurred_at, \(now), body FROM msg
                RETURNING id, tenant_id, event_id
            ), raw AS (
                INSERT INTO telemetry_raw (tenant_id, event_id, farm_id, barn_id, device_id, occurred_at, received_at, outbox_id, readings)
                SELECT m.tenant_id, m.event_id, m.farm_id, m.barn_id, m.device_id, m.occurred_at, m.received_at, ob.id, m.readings
                FROM msg m JOIN ob ON ob.tenant_id = m.tenant_id AND ob.event_id = m.event_id
            ), agg AS (
                INSERT INTO telemetry_agg AS a (tenant_id, farm_id, barn_id, device_id, metric, bucket_size, bucket_start,
                    count, sum, min, max, last_value, last_occurred_at, last_event_id)
                SELECT * FROM unnest(\(aggTenants)::text[], \(aggFarms)::text[], \(aggBarns)::text[], \(aggDevices)::text[], \(aggMetrics)::text[],
                    \(aggSizes)::int4[], \(aggStarts)::int8[], \(aggCounts)::int8[], \(aggSums)::float8[], \(aggMins)::float8[],
                    \(aggMaxes)::float8[], \(aggLasts)::float8[], \(aggLastAts)::int8[], \(aggLastIDs)::uuid[])
                ON CONFLICT (tenant_id, bucket_size, device_id, metric, bucket_start, farm_id, barn_id) DO UPDATE SET
                    count = a.count + excluded.count,
                    sum = \(unescaped: RollUpSQL.postgresSum("a.sum", "excluded.sum")),
                    min = LEAST(a.min, excluded.min),
                    max = GREATEST(a.max, excluded.max),
                    last_value = CASE WHEN (excluded.last_occurred_at, excluded.last_event_id) > (a.last_occurred_at, a.last_event_id)
                        THEN excluded.last_value ELSE a.last_value END,
                    last_event_id = CASE WHEN (excluded.last_occurred_at, excluded.last_event_id) > (a.last_occurred_at, a.last_event_id)
                        THEN excluded.last_event_id ELSE a.last_event_id END,
                    last_occurred_at = GREATEST(a.last_occurred_at, excluded.last_occurred_at)
            )
            SELECT count(*) FROM ob
            """
        let rows = try await backend.query(query, "ingest telemetry")
        do {
            for try await _ in rows {}
        } catch {
            throw PostgresErrors.map(error, "ingest telemetry")
        }
    }

    func rawReadings(_ query: RawReadingQuery) async throws -> [RawReading] {
        let rows = try await backend.query("""
            SELECT r.tenant_id, r.event_id::text, (e.ord - 1)::int4, r.farm_id, r.barn_id, r.device_id,
                   e.item->>0, (e.item->>1)::float8, e.item->>2, r.occurred_at, r.received_at
            FROM telemetry_raw r CROSS JOIN LATERAL jsonb_array_elements(r.readings::jsonb) WITH ORDINALITY AS e(item, ord)
            WHERE r.tenant_id = \(query.tenantID) AND r.occurred_at >= \(query.from.millisecondsSinceEpoch)
              AND r.occurred_at < \(query.to.millisecondsSinceEpoch)
              AND (\(query.deviceID)::text IS NULL OR r.device_id = \(query.deviceID))
              AND (\(query.metric)::text IS NULL OR e.item->>0 = \(query.metric))
            ORDER BY r.occurred_at, r.event_id, e.ord
            LIMIT \(query.effectiveLimit)
            """, "query raw readings")
        var result: [RawReading] = []
        do {
            for try await (tenant, eventID, idx, farm, barn, device, metric, value, unit, occurredAt, receivedAt)
                in rows.decode((String, String, Int32, String, String, String, String, Double, String?, Int64, Int64).self) {
                result.append(RawReading(
                    tenantID: tenant, eventID: eventID, index: Int(idx), farmID: farm, barnID: barn, deviceID: device,
                    metric: metric, value: value, unit: unit, occurredAt: Timestamp(millisecondsSinceEpoch: occurredAt),
                    receivedAt: Timestamp(millisecondsSinceEpoch: receivedAt)))
            }
        } catch {
            throw PostgresErrors.map(error, "query raw readings")
        }
        return result
    }

    func aggregates(_ query: AggregateQuery) async throws -> [AggregateBucket] {
        let rows = try await backend.query("""
            SELECT tenant_id, farm_id, barn_id, device_id, metric, bucket_start, count, sum, min, max, last_value, last_occurred_at
            FROM telemetry_agg
            WHERE tenant_id = \(query.tenantID) AND bucket_size = \(Int32(query.bucket.seconds))
              AND bucket_start >= \(query.from.millisecondsSinceEpoch) AND bucket_start < \(query.to.millisecondsSinceEpoch)
              AND (\(query.deviceID)::text IS NULL OR device_id = \(query.deviceID))
              AND (\(query.metric)::text IS NULL OR metric = \(query.metric))
            ORDER BY device_id, metric, bucket_start, farm_id, barn_id
            LIMIT \(query.effectiveLimit)
            """, "query aggregates")
        var result: [AggregateBucket] = []
        do {
            for try await (tenant, farm, barn, device, metric, start, count, sum, min, max, last, lastAt)
                in rows.decode((String, String, String, String, String, Int64, Int64, Double, Double, Double, Double, Int64).self) {
                result.append(AggregateBucket(
                    tenantID: tenant, farmID: farm, barnID: barn, deviceID: device, metric: metric, bucket: query.bucket,
                    bucketStart: Timestamp(millisecondsSinceEpoch: start), count: Int(count), sum: sum, min: min, max: max,
                    last: last, lastOccurredAt: Timestamp(millisecondsSinceEpoch: lastAt)))
            }
        } catch {
            throw PostgresErrors.map(error, "query aggregates")
        }
        return result
    }

    func latest(tenantID: String, deviceID: String?, metric: String?) async throws -> [LatestReading] {
        let rows = try await backend.query("""
            SELECT DISTINCT ON (device_id, metric, farm_id, barn_id) farm_id, barn_id, device_id, metric, last_value, last_occurred_at
            FROM telemetry_agg
            WHERE tenant_id = \(tenantID) AND bucket_size = 3600
              AND (\(deviceID)::text IS NULL OR device_id = \(deviceID))
              AND (\(metric)::text IS NULL OR metric = \(metric))
            ORDER BY device_id, metric, farm_id, barn_id, bucket_start DESC
            """, "query latest")
        var result: [LatestReading] = []
        do {
            for try await (farm, barn, device, metric, value, occurredAt)
                in rows.decode((String, String, String, String, Double, Int64).self) {
                result.append(LatestReading(
                    tenantID: tenantID, farmID: farm, barnID: barn, deviceID: device, metric: metric, value: value,
                    occurredAt: Timestamp(millisecondsSinceEpoch: occurredAt)))
            }
        } catch {
            throw PostgresErrors.map(error, "query latest")
        }
        return result
    }

    func deleteSyncedRaw(olderThan cutoff: Timestamp, limit: Int) async throws -> Int {
        guard limit > 0 else { return 0 }
        let rows = try await backend.query("""
            WITH c AS (SELECT txid, last_id FROM sync_cursor WHERE stream = 'cloud'), doomed AS (
                SELECT r.ctid FROM telemetry_raw r CROSS JOIN c LEFT JOIN sync_outbox o ON o.id = r.outbox_id
                WHERE r.received_at < \(cutoff.millisecondsSinceEpoch)
                  AND (o.id IS NULL OR (o.txid, o.id) <= (c.txid, c.last_id))
                  AND NOT EXISTS (SELECT 1 FROM sync_dead_letters d WHERE d.outbox_id = r.outbox_id)
                ORDER BY r.received_at LIMIT \(limit)
            ), deleted AS (
                DELETE FROM telemetry_raw WHERE ctid IN (SELECT ctid FROM doomed) RETURNING 1
            )
            SELECT count(*) FROM deleted
            """, "delete synced raw readings")
        do {
            for try await count in rows.decode(Int64.self) { return Int(count) }
        } catch {
            throw PostgresErrors.map(error, "delete synced raw readings")
        }
        return 0
    }

    func messageCount(tenantID: String) async throws -> Int {
        let rows = try await backend.query(
            "SELECT count(*) FROM telemetry_raw WHERE tenant_id = \(tenantID)", "count messages")
        do {
            for try await count in rows.decode(Int64.self) { return Int(count) }
        } catch {
            throw PostgresErrors.map(error, "count messages")
        }
        return 0
    }
}
