import FarmIQApp
import FarmIQCore
import FarmIQSQLite
import FarmIQStorage
import Foundation
import Logging
import PostgresNIO

/// `farmiq-edge bench outbox`: the outbox drain without HTTP, the textbook SKIP LOCKED loop against the
/// snapshot-bounded reader, on a scratch database (it refuses one holding other tenants' events).
///
/// Engine-specific SQL runs on the stores' own backends through package access (``EdgeDatabase/backend``), so
/// the product's `OutboxStore` protocol describes only the product.
public enum OutboxDrainBenchmark {
    /// Writes `rows` synthetic outbox rows, then drains them with `mode` and reports the rate.
    /// It consumes the stream `bench`.
    public static func run(_ mode: OutboxBenchmarkMode, database: EdgeDatabase, rows: Int, batchSize: Int) async throws -> OutboxBenchmarkResult {
        switch database.backend {
        case .postgres(let backend):
            return try await postgres(mode, backend: backend, outbox: database.outbox, rows: rows, batchSize: batchSize)
        case .sqlite(let backend):
            return try await sqlite(mode, backend: backend, outbox: database.outbox, rows: rows, batchSize: batchSize)
        }
    }

    /// `farmiq-edge bench outbox`: both outbox designs on the same (scratch) database, rows/s printed.
    public static func report(configuration: EdgeConfiguration, rows: Int, batchSize: Int, logger: Logger) async throws -> String {
        try await EdgeTools.withDatabase(configuration, logger: logger) { database in
            try await database.migrate()
            var lines = ["outbox benchmark: \(rows) rows, batches of \(batchSize), database \(configuration.databaseURL)"]
            for mode in OutboxBenchmarkMode.allCases {
                let result = try await run(mode, database: database, rows: rows, batchSize: batchSize)
                let segments = result.segmentRates.map { String(Int($0)) }.joined(separator: " ")
                lines.append("  \(mode.rawValue): \(Int(result.rowsPerSecond)) rows/s (each tenth of the run: \(segments))")
            }
            return lines.joined(separator: "\n")
        }
    }

    static let tenant = OutboxBenchmarkMode.scratchTenant
    static let stream = "bench"
    static let owner = "bench"

    /// A ~330-byte event body like a telemetry reading's.
    static func body(_ eventID: String) -> String {
        #"{"tenant_id":"farmiq-bench","farm_id":"farm-1","barn_id":"barn-1","device_id":"dev-1","event_id":""#
            + eventID
            + #"","event_type":"telemetry.reading","occurred_at":"2026-11-29T04:48:42.123Z","schema_version":1,"trace_id":null,"payload":{"readings":[{"metric":"temperature","value":24.3,"unit":"celsius"},{"metric":"humidity","value":61.2,"unit":"percent"}]}}"#
    }

    /// Drains with `step` (returns the rows it consumed, 0 when done) and times it.
    static func measure(total: Int, _ step: () async throws -> Int) async throws -> OutboxBenchmarkResult {
        let clock = ContinuousClock()
        let start = clock.now
        var done = 0
        var marks: [(Int, Duration)] = []
        while true {
            let count = try await step()
            if count == 0 { break }
            done += count
            marks.append((done, start.duration(to: clock.now)))
        }
        let elapsed = start.duration(to: clock.now)
        var segments: [Double] = []
        var previous: (Int, Duration) = (0, .zero)
        let tenth = max(1, total / 10)
        for mark in marks where mark.0 - previous.0 >= tenth || mark.0 == done {
            let seconds = (mark.1 - previous.1).seconds
            if mark.0 > previous.0 { segments.append(seconds > 0 ? Double(mark.0 - previous.0) / seconds : 0) }
            previous = mark
        }
        return OutboxBenchmarkResult(rows: done, seconds: elapsed.seconds, segmentRates: segments)
    }
}

extension OutboxDrainBenchmark {
    /// The snapshot-bounded reader, through the store's own API: read after the cursor, advance the
    /// cursor once per batch. The same on both engines.
    static func drainWithCursor(_ store: some OutboxStore, rows: Int, batchSize: Int) async throws -> OutboxBenchmarkResult {
        guard var position = try await store.acquireLease(stream: OutboxStream.bench, owner: owner, durationMilliseconds: 3_600_000)?.cursor else {
            throw EdgeError(.internalError, "benchmark: cannot take the bench lease")
        }
        var remaining = rows
        return try await measure(total: rows) {
            var batch = try await store.read(after: position, limit: batchSize)
            // PostgreSQL: another transaction of the cluster may hold the snapshot xmin back for a moment.
            while batch.isEmpty && remaining > 0 {
                try await Task.sleep(for: .milliseconds(1))
                batch = try await store.read(after: position, limit: batchSize)
            }
            remaining -= batch.count
            guard let last = batch.last else { return 0 }
            position = last.position
            guard try await store.commit(OutboxDelivery(
                stream: OutboxStream.bench, owner: owner, through: position, tenants: Set(batch.map(\.tenantID)))) else {
                throw EdgeError(.internalError, "benchmark: lease lost")
            }
            return batch.count
        }
    }
}
extension OutboxDrainBenchmark {
    static func postgres(
        _ mode: OutboxBenchmarkMode, backend: PostgresBackend, outbox: some OutboxStore, rows: Int, batchSize: Int
    ) async throws -> OutboxBenchmarkResult {
        let foreign = try await backend.query(
            "SELECT count(*) FROM sync_outbox WHERE tenant_id <> \(OutboxDrainBenchmark.tenant)", "benchmark").integer("benchmark")
        guard foreign == 0 else {
            throw EdgeError(.invalidRequest, "the outbox benchmark needs a scratch database: sync_outbox holds \(foreign) real rows")
        }
        try await backend.query("TRUNCATE sync_outbox", "benchmark")
        try await backend.query("DELETE FROM sync_cursor WHERE stream = \(OutboxStream.bench)", "benchmark")
        try await backend.query("DROP INDEX IF EXISTS sync_outbox_bench_pending", "benchmark")
        if mode == .skipLocked {
            try await backend.query("CREATE INDEX sync_outbox_bench_pending ON sync_outbox (id) WHERE status = 0", "benchmark")
        }
        let prefix = String(OutboxDrainBenchmark.body("@").split(separator: "@")[0])
        let suffix = String(OutboxDrainBenchmark.body("@").split(separator: "@")[1])
        var written = 0
        while written < rows {
            let chunk = min(20_000, rows - written)
            let now = Timestamp.now().millisecondsSinceEpoch
            try await backend.query("""
                INSERT INTO sync_outbox (tenant_id, event_id, event_type, occurred_at, created_at, body)
                SELECT \(OutboxDrainBenchmark.tenant), u, 'telemetry.reading', \(now), \(now), \(prefix) || u::text || \(suffix)
                FROM (SELECT gen_random_uuid() AS u FROM generate_series(1, \(chunk))) g
                """, "benchmark fill")
            written += chunk
        }
        try await backend.query("VACUUM ANALYZE sync_outbox", "benchmark")
        switch mode {
        case .skipLocked:
            let logger = backend.logger
            let result = try await OutboxDrainBenchmark.measure(total: rows) {
                try await backend.transaction("benchmark claim") { connection in
                    let claimed = try await connection.query("""
                        SELECT id, body FROM sync_outbox WHERE status = 0 ORDER BY id LIMIT \(batchSize) FOR UPDATE SKIP LOCKED
                        """, logger: logger)
                    var ids: [Int64] = []
                    for try await (id, _) in claimed.decode((Int64, String).self) { ids.append(id) }
                    if ids.isEmpty { return 0 }
                    try await connection.query("""
                        UPDATE sync_outbox SET status = 1, attempts = attempts + 1, delivered_at = \(Timestamp.now().millisecondsSinceEpoch)
                        WHERE id = ANY(\(ids)::int8[])
                        """, logger: logger)
                    return ids.count
                }
            }
            try await backend.query("DROP INDEX IF EXISTS sync_outbox_bench_pending", "benchmark")
            return result
        case .snapshotCursor:
            return try await drainWithCursor(outbox, rows: rows, batchSize: batchSize)
        }
    }
}

extension OutboxDrainBenchmark {
    static func sqlite(
        _ mode: OutboxBenchmarkMode, backend: SQLiteBackend, outbox: some OutboxStore, rows: Int, batchSize: Int
    ) async throws -> OutboxBenchmarkResult {
        try await backend.write { connection in
            let foreign = try connection.statement("SELECT count(*) FROM sync_outbox WHERE tenant_id <> ?1")
            defer { foreign.reset() }
            foreign.bind(1, OutboxDrainBenchmark.tenant)
            guard try foreign.step(), foreign.int(0) == 0 else {
                throw EdgeError(.invalidRequest, "the outbox benchmark needs a scratch database: sync_outbox holds real rows")
            }
            try connection.execute("DELETE FROM sync_outbox; DELETE FROM sync_cursor WHERE stream = 'bench'; DROP INDEX IF EXISTS sync_outbox_bench_pending")
            if mode == .skipLocked {
                try connection.execute("CREATE INDEX sync_outbox_bench_pending ON sync_outbox (id) WHERE status = 0")
            }
            var written = 0
            let insert = try connection.statement("""
                INSERT INTO sync_outbox (tenant_id, event_id, event_type, occurred_at, created_at, body) VALUES (?1, ?2, 'telemetry.reading', ?3, ?3, ?4)
                """)
            while written < rows {
                let chunk = min(20_000, rows - written)
                let now = Timestamp.now().millisecondsSinceEpoch
                try connection.transaction {
                    for _ in 0..<chunk {
                        let eventID = UUID().uuidString.lowercased()
                        insert.reset()
                        insert.bind(1, OutboxDrainBenchmark.tenant)
                        insert.bind(2, eventID)
                        insert.bind(3, now)
                        insert.bind(4, OutboxDrainBenchmark.body(eventID))
                        try insert.run()
                    }
                }
                written += chunk
            }
        }
        switch mode {
        case .skipLocked:
            // SQLite has no SKIP LOCKED: the same claim-and-mark loop under its single write lock.
            let result = try await OutboxDrainBenchmark.measure(total: rows) {
                try await backend.write { connection in
                    try connection.transaction {
                        let claim = try connection.statement("SELECT id, body FROM sync_outbox WHERE status = 0 ORDER BY id LIMIT ?1")
                        claim.bind(1, batchSize)
                        var ids: [Int64] = []
                        while try claim.step() {
                            ids.append(claim.int64(0))
                            _ = claim.string(1)
                        }
                        claim.reset()
                        let mark = try connection.statement("UPDATE sync_outbox SET status = 1, attempts = attempts + 1, delivered_at = ?2 WHERE id = ?1")
                        let now = Timestamp.now().millisecondsSinceEpoch
                        for id in ids {
                            mark.reset()
                            mark.bind(1, id)
                            mark.bind(2, now)
                            try mark.run()
                        }
                        return ids.count
                    }
                }
            }
            try await backend.write { connection in try connection.execute("DROP INDEX IF EXISTS sync_outbox_bench_pending") }
            return result
        case .snapshotCursor:
            return try await drainWithCursor(outbox, rows: rows, batchSize: batchSize)
        }
    }
}

/// A throughput figure of ``OutboxDrainBenchmark/run(_:database:rows:batchSize:)``.
public struct OutboxBenchmarkResult: Sendable {
    public var rows: Int
    public var seconds: Double
    public var rowsPerSecond: Double { seconds > 0 ? Double(rows) / seconds : 0 }
    /// Rows/s of each tenth of the run (shows a decline as dead tuples pile up).
    public var segmentRates: [Double]

    public init(rows: Int, seconds: Double, segmentRates: [Double]) {
        self.rows = rows
        self.seconds = seconds
        self.segmentRates = segmentRates
    }
}

public enum OutboxBenchmarkMode: String, Sendable, CaseIterable {
    /// Claim `batchSize` rows `FOR UPDATE SKIP LOCKED` by status, mark them delivered (the textbook loop).
    case skipLocked = "skip-locked"
    /// The snapshot-bounded reader: read after the cursor, advance the cursor once per batch.
    case snapshotCursor = "snapshot-cursor"

    /// The tenant of every benchmark row; the benchmarks refuse a database holding other tenants' events.
    public static let scratchTenant = "farmiq-bench"
}
