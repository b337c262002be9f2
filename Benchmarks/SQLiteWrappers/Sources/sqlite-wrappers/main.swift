import FarmIQSQLite
import Foundation
import GRDB

// The statements one telemetry message costs on SQLite (SQLiteTelemetryStore.ingest): the event-id register, the
// outbox row with its ~450-byte body, the raw row, and one roll-up upsert per reading (3 readings), committed in
// batches of 500 with the product's writer pragmas (WAL, synchronous=FULL).

let messages = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 100_000
let batch = 500
let schema = """
    CREATE TABLE ingest_event_ids (tenant_id TEXT NOT NULL, event_id TEXT NOT NULL, first_seen_at INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, event_id)) WITHOUT ROWID;
    CREATE TABLE sync_outbox (id INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, event_id TEXT NOT NULL, event_type TEXT NOT NULL,
        occurred_at INTEGER NOT NULL, created_at INTEGER NOT NULL, body TEXT NOT NULL);
    CREATE TABLE telemetry_raw (tenant_id TEXT NOT NULL, event_id TEXT NOT NULL, farm_id TEXT NOT NULL, barn_id TEXT NOT NULL,
        device_id TEXT NOT NULL, occurred_at INTEGER NOT NULL, received_at INTEGER NOT NULL, outbox_id INTEGER, readings TEXT NOT NULL,
        PRIMARY KEY (tenant_id, event_id));
    CREATE TABLE telemetry_agg (tenant_id TEXT NOT NULL, device_id TEXT NOT NULL, metric TEXT NOT NULL, bucket_start INTEGER NOT NULL,
        count INTEGER NOT NULL, sum REAL NOT NULL, PRIMARY KEY (tenant_id, device_id, metric, bucket_start)) WITHOUT ROWID;
    """
let pragmas = [
    "PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA wal_autocheckpoint = 8192",
    "PRAGMA cache_size = -24576", "PRAGMA temp_store = MEMORY",
]
let registerSQL = "INSERT OR IGNORE INTO ingest_event_ids (tenant_id, event_id, first_seen_at) VALUES (?1, ?2, ?3)"
let outboxSQL = "INSERT INTO sync_outbox (tenant_id, event_id, event_type, occurred_at, created_at, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
let rawSQL = """
    INSERT INTO telemetry_raw (tenant_id, event_id, farm_id, barn_id, device_id, occurred_at, received_at, outbox_id, readings)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
    """
let aggSQL = """
    INSERT INTO telemetry_agg (tenant_id, device_id, metric, bucket_start, count, sum) VALUES (?1, ?2, ?3, ?4, 1, ?5)
    ON CONFLICT (tenant_id, device_id, metric, bucket_start) DO UPDATE SET count = count + 1, sum = sum + excluded.sum
    """
let metrics = ["temperature", "humidity", "co2"]
let eventIDs = (0..<messages).map { _ in UUID().uuidString.lowercased() }
let body = String(repeating: "x", count: 450)
let readings = #"[["temperature",21.5,"celsius"],["humidity",61.2,"percent"],["co2",420,"ppm"]]"#

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func measure(_ name: String, _ body: (String) throws -> Void) throws {
    let path = NSTemporaryDirectory() + "sqlite-wrappers-\(UUID().uuidString).sqlite"
    defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
    let cpu = cpuSeconds()
    let start = ContinuousClock.now
    try body(path)
    let wall = (ContinuousClock.now - start)
    let seconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
    let used = cpuSeconds() - cpu
    print(String(format: "%-12@ %8.0f msg/s  %6.2f µs CPU per message (%d messages, 6 statements each, %.2f s)",
                 name as NSString, Double(messages) / seconds, used * 1e6 / Double(messages), messages, seconds))
}

func farmIQ(_ path: String) throws {
    let connection = try SQLiteConnection(path: path, readOnly: false, pragmas: pragmas)
    try connection.execute(schema)
    var index = 0
    while index < messages {
        let end = min(messages, index + batch)
        try connection.transaction {
            for i in index..<end {
                let now = Int64(1_796_000_000_000 + i)
                let register = try connection.statement(registerSQL)
                register.bind(1, "tenant-a"); register.bind(2, eventIDs[i]); register.bind(3, now)
                try register.run()
                let outbox = try connection.statement(outboxSQL)
                outbox.bind(1, "tenant-a"); outbox.bind(2, eventIDs[i]); outbox.bind(3, "telemetry.reading")
                outbox.bind(4, now); outbox.bind(5, now); outbox.bind(6, body)
                try outbox.run()
                let outboxID = connection.lastInsertRowID
                let raw = try connection.statement(rawSQL)
                raw.bind(1, "tenant-a"); raw.bind(2, eventIDs[i]); raw.bind(3, "farm-1"); raw.bind(4, "barn-1")
                raw.bind(5, "dev-\(i % 50)"); raw.bind(6, now); raw.bind(7, now); raw.bind(8, outboxID); raw.bind(9, readings)
                try raw.run()
                for (m, metric) in metrics.enumerated() {
                    let agg = try connection.statement(aggSQL)
                    agg.bind(1, "tenant-a"); agg.bind(2, "dev-\(i % 50)"); agg.bind(3, metric)
                    agg.bind(4, now - now % 60_000); agg.bind(5, Double(m) + 0.5)
                    try agg.run()
                }
            }
        }
        index = end
    }
    connection.close()
}

func grdb(_ path: String) throws {
    var configuration = Configuration()
    configuration.prepareDatabase { db in
        for pragma in pragmas.dropFirst() { try db.execute(sql: pragma) }
    }
    configuration.journalMode = .wal
    let queue = try DatabaseQueue(path: path, configuration: configuration)
    try queue.write { db in try db.execute(sql: schema) }
    var index = 0
    while index < messages {
        let end = min(messages, index + batch)
        try queue.write { db in
            for i in index..<end {
                let now = Int64(1_796_000_000_000 + i)
                try db.cachedStatement(sql: registerSQL).execute(arguments: ["tenant-a", eventIDs[i], now])
                try db.cachedStatement(sql: outboxSQL).execute(arguments: ["tenant-a", eventIDs[i], "telemetry.reading", now, now, body])
                let outboxID = db.lastInsertedRowID
                try db.cachedStatement(sql: rawSQL).execute(arguments: [
                    "tenant-a", eventIDs[i], "farm-1", "barn-1", "dev-\(i % 50)", now, now, outboxID, readings])
                for (m, metric) in metrics.enumerated() {
                    try db.cachedStatement(sql: aggSQL).execute(arguments: [
                        "tenant-a", "dev-\(i % 50)", metric, now - now % 60_000, Double(m) + 0.5])
                }
            }
        }
        index = end
    }
}

// Interleaved rounds, so drift of the machine (fsync cost varies on this VM) falls on both alike.
for round in 1...3 {
    print("round \(round)")
    try measure("FarmIQSQLite", farmIQ)
    try measure("GRDB 7.10", grdb)
}
