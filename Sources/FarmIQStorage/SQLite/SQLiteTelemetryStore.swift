import FarmIQCore
import FarmIQSQLite

/// ``TelemetryStore`` on SQLite: the batch is one `BEGIN IMMEDIATE` transaction on the writer connection,
/// reusing the cached prepared statements for every row.
struct SQLiteTelemetryStore: TelemetryStore {
    let backend: SQLiteBackend

    func ingest(_ prepared: PreparedTelemetryBatch) async throws -> IngestCounts {
        guard !prepared.messages.isEmpty else { return IngestCounts(inserted: 0, duplicates: 0) }
        return try await backend.write { connection in
            try connection.transaction {
                try SQLiteTelemetryStore.ingest(prepared, on: connection)
            }
        }
    }

    private static let rawSQL = """
        INSERT INTO telemetry_raw (tenant_id, event_id, farm_id, barn_id, device_id, occurred_at, received_at, outbox_id, readings)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    static let aggregateUpsertSQL = """
        INSERT INTO telemetry_agg (tenant_id, farm_id, barn_id, device_id, metric, bucket_size, bucket_start,
            count, sum, min, max, last_value, last_occurred_at, last_event_id)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (tenant_id, bucket_size, device_id, metric, bucket_start, farm_id, barn_id) DO UPDATE SET
            count = telemetry_agg.count + excluded.count,
            sum = \(RollUpSQL.sqliteSum("telemetry_agg.sum", "excluded.sum")),
            min = min(telemetry_agg.min, excluded.min),
            max = max(telemetry_agg.max, excluded.max),
            last_value = CASE WHEN (excluded.last_occurred_at, excluded.last_event_id) > (telemetry_agg.last_occurred_at, telemetry_agg.last_event_id)
                THEN excluded.last_value ELSE telemetry_agg.last_value END,
            last_event_id = CASE WHEN (excluded.last_occurred_at, excluded.last_event_id) > (telemetry_agg.last_occurred_at, telemetry_agg.last_event_id)
                THEN excluded.last_event_id ELSE telemetry_agg.last_event_id END,
            last_occurred_at = max(telemetry_agg.last_occurred_at, excluded.last_occurred_at)
        """

    private static func ingest(_ batch: PreparedTelemetryBatch, on connection: SQLiteConnection) throws -> IngestCounts {
        let messages = batch.messages
        let now = Timestamp.now()
        let register = try SQLiteEventIDRegister(connection: connection, seenAt: now)
        let outbox = try SQLiteOutboxWriter(connection: connection, createdAt: now)
        let raw = try connection.statement(rawSQL)
        var refused: Set<Int> = []
        for (position, index) in batch.unique.enumerated() {
            let message = messages[index]
            let address = message.address
            let header = message.header
            guard try register.insertIfNew(tenantID: address.tenantID, eventID: header.eventID) else {
                refused.insert(index)
                continue
            }

            try outbox.insert(OutboxEvent(message))
            let outboxID = connection.lastInsertRowID

            raw.resetKeepingBindings()  // all nine bound below
            raw.bind(1, address.tenantID)
            raw.bind(2, header.eventID)
            raw.bind(3, address.farmID)
            raw.bind(4, address.barnID)
            raw.bind(5, address.deviceID)
            raw.bind(6, header.occurredAt.millisecondsSinceEpoch)
            raw.bind(7, message.receivedAt.millisecondsSinceEpoch)
            raw.bind(8, outboxID)
            raw.bind(9, batch.readingsColumns[position])
            try raw.run()
        }
        let inserted = batch.unique.count - refused.count
        var deltas = batch.deltas
        if !refused.isEmpty {
            // Some were stored before (a redelivery): the roll-ups take only the new ones.
            var accumulator = AggregateAccumulator()
            for index in batch.unique where !refused.contains(index) { accumulator.add(messages[index]) }
            deltas = accumulator.deltas
        }
        let upsert = try connection.statement(aggregateUpsertSQL)
        for (key, delta) in deltas {
            upsert.resetKeepingBindings()  // all fourteen bound below
            upsert.bind(1, key.tenantID)
            upsert.bind(2, key.farmID)
            upsert.bind(3, key.barnID)
            upsert.bind(4, key.deviceID)
            upsert.bind(5, key.metric)
            upsert.bind(6, key.bucketSeconds)
            upsert.bind(7, key.bucketStart)
            upsert.bind(8, delta.count)
            upsert.bind(9, delta.sum)
            upsert.bind(10, delta.min)
            upsert.bind(11, delta.max)
            upsert.bind(12, delta.lastValue)
            upsert.bind(13, delta.lastOccurredAt)
            upsert.bind(14, delta.lastEventID)
            try upsert.run()
        }
        return IngestCounts(inserted: inserted, duplicates: batch.repeats + refused.count)
    }

    /// Pages through the tenant's messages in `(occurred_at, event_id)` order and expands their readings,
    /// keeping those of the metric asked for, until `limit` readings are collected.
    func rawReadings(_ query: RawReadingQuery) async throws -> [RawReading] {
        var sql = """
            SELECT tenant_id, event_id, farm_id, barn_id, device_id, occurred_at, received_at, readings
            FROM telemetry_raw WHERE tenant_id = ?1 AND occurred_at >= ?2 AND occurred_at < ?3
              AND (occurred_at, event_id) > (?5, ?6)
            """
        if query.deviceID != nil { sql += " AND device_id = ?4" }
        sql += " ORDER BY occurred_at, event_id LIMIT ?7"
        let limit = query.effectiveLimit
        return try await backend.read { [sql] connection in
            let statement = try connection.statement(sql)
            defer { statement.reset() }
            var rows: [RawReading] = []
            var after: (occurredAt: Int64, eventID: String) = (Int64.min, "")
            while rows.count < limit {
                statement.reset()
                statement.bind(1, query.tenantID)
                statement.bind(2, query.from.millisecondsSinceEpoch)
                statement.bind(3, query.to.millisecondsSinceEpoch)
                if let deviceID = query.deviceID { statement.bind(4, deviceID) }
                statement.bind(5, after.occurredAt)
                statement.bind(6, after.eventID)
                statement.bind(7, limit)
                var messages = 0
                while try statement.step(), rows.count < limit {
                    messages += 1
                    let eventID = statement.string(1)
                    let occurredAt = statement.int64(5)
                    after = (occurredAt, eventID)
                    for (index, reading) in try ReadingsColumn.decode(statement.string(7)).enumerated()
                    where query.metric == nil || reading.metric == query.metric {
                        guard rows.count < limit else { break }
                        rows.append(RawReading(
                            tenantID: statement.string(0), eventID: eventID, index: index,
                            farmID: statement.string(2), barnID: statement.string(3), deviceID: statement.string(4),
                            metric: reading.metric, value: reading.value, unit: reading.unit,
                            occurredAt: Timestamp(millisecondsSinceEpoch: occurredAt),
                            receivedAt: Timestamp(millisecondsSinceEpoch: statement.int64(6))))
                    }
                }
                if messages < limit { break }  // the range is exhausted
            }
            return rows
        }
    }

    func aggregates(_ query: AggregateQuery) async throws -> [AggregateBucket] {
        var sql = """
            SELECT tenant_id, farm_id, barn_id, device_id, metric, bucket_size, bucket_start,
                count, sum, min, max, last_value, last_occurred_at
            FROM telemetry_agg WHERE tenant_id = ?1 AND bucket_size = ?2 AND bucket_start >= ?3 AND bucket_start < ?4
            """
        if query.deviceID != nil { sql += " AND device_id = ?5" }
        if query.metric != nil { sql += " AND metric = ?6" }
        sql += " ORDER BY device_id, metric, bucket_start, farm_id, barn_id LIMIT ?7"
        return try await backend.read { [sql] connection in
            let statement = try connection.statement(sql)
            defer { statement.reset() }
            statement.bind(1, query.tenantID)
            statement.bind(2, query.bucket.seconds)
            statement.bind(3, query.from.millisecondsSinceEpoch)
            statement.bind(4, query.to.millisecondsSinceEpoch)
            if let deviceID = query.deviceID { statement.bind(5, deviceID) }
            if let metric = query.metric { statement.bind(6, metric) }
            statement.bind(7, query.effectiveLimit)
            var rows: [AggregateBucket] = []
            while try statement.step() {
                rows.append(AggregateBucket(
                    tenantID: statement.string(0), farmID: statement.string(1), barnID: statement.string(2),
                    deviceID: statement.string(3), metric: statement.string(4),
                    bucket: AggregateBucketSize(seconds: statement.int(5)) ?? query.bucket,
                    bucketStart: Timestamp(millisecondsSinceEpoch: statement.int64(6)),
                    count: statement.int(7), sum: statement.double(8), min: statement.double(9), max: statement.double(10),
                    last: statement.double(11), lastOccurredAt: Timestamp(millisecondsSinceEpoch: statement.int64(12))))
            }
            return rows
        }
    }

    func latest(tenantID: String, deviceID: String?, metric: String?) async throws -> [LatestReading] {
        // SQLite returns the bare columns of the row holding MAX(bucket_start) of each group.
        var sql = """
            SELECT farm_id, barn_id, device_id, metric, MAX(bucket_start), last_value, last_occurred_at
            FROM telemetry_agg WHERE tenant_id = ?1 AND bucket_size = 3600
            """
        if deviceID != nil { sql += " AND device_id = ?2" }
        if metric != nil { sql += " AND metric = ?3" }
        sql += " GROUP BY device_id, metric, farm_id, barn_id ORDER BY device_id, metric, farm_id, barn_id"
        return try await backend.read { [sql] connection in
            let statement = try connection.statement(sql)
            defer { statement.reset() }
            statement.bind(1, tenantID)
            if let deviceID { statement.bind(2, deviceID) }
            if let metric { statement.bind(3, metric) }
            var rows: [LatestReading] = []
            while try statement.step() {
                rows.append(LatestReading(
                    tenantID: tenantID, farmID: statement.string(0), barnID: statement.string(1), deviceID: statement.string(2),
                    metric: statement.string(3), value: statement.double(5),
                    occurredAt: Timestamp(millisecondsSinceEpoch: statement.int64(6))))
            }
            return rows
        }
    }

    func deleteSyncedRaw(olderThan cutoff: Timestamp, limit: Int) async throws -> Int {
        guard limit > 0 else { return 0 }
        return try await backend.write { connection in
            try connection.transaction {
                let statement = try connection.statement("""
                    DELETE FROM telemetry_raw WHERE rowid IN (
                        SELECT r.rowid FROM telemetry_raw r
                        WHERE r.received_at < ?1
                          AND (r.outbox_id IS NULL OR r.outbox_id <= (SELECT last_id FROM sync_cursor WHERE stream = 'cloud'))
                          AND NOT EXISTS (SELECT 1 FROM sync_dead_letters d WHERE d.outbox_id = r.outbox_id)
                        ORDER BY r.received_at LIMIT ?2)
                    """)
                statement.bind(1, cutoff.millisecondsSinceEpoch)
                statement.bind(2, limit)
                try statement.run()
                return connection.changes
            }
        }
    }

    func messageCount(tenantID: String) async throws -> Int {
        try await backend.read { connection in
            let statement = try connection.statement("SELECT count(*) FROM telemetry_raw WHERE tenant_id = ?1")
            defer { statement.reset() }
            statement.bind(1, tenantID)
            return try statement.step() ? statement.int(0) : 0
        }
    }
}
