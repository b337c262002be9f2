import FarmIQBenchmarks
import FarmIQStorage
import FarmIQTestSupport
import Foundation
import Testing

/// `bench outbox` on a small scratch outbox: both designs drain every row (the figures are printed, not asserted).
@Suite("Outbox drain benchmark")
struct OutboxDrainBenchmarkTests {
    /// The textbook SKIP LOCKED loop against the snapshot-bounded reader, on the same database, without HTTP.
    /// `FARMIQ_OUTBOX_BENCH_ROWS` sets the size (default 20,000 to stay quick).
    @Test(arguments: DatabaseEngine.allCases)
    func drainBenchmark(engine: DatabaseEngine) async throws {
        let rows = ProcessInfo.processInfo.environment["FARMIQ_OUTBOX_BENCH_ROWS"].flatMap(Int.init) ?? 20_000
        try await TestDatabase.with(engine) { db in
            let baseline = try await OutboxDrainBenchmark.run(.skipLocked, database: db, rows: rows, batchSize: 500)
            let snapshot = try await OutboxDrainBenchmark.run(.snapshotCursor, database: db, rows: rows, batchSize: 1000)
            #expect(baseline.rows == rows)
            #expect(snapshot.rows == rows)
            func format(_ r: OutboxBenchmarkResult) -> String {
                "\(Int(r.rowsPerSecond)) rows/s (\(r.rows) rows in \(String(format: "%.2f", r.seconds)) s; per tenth: \(r.segmentRates.map { Int($0) }))"
            }
            print("outbox drain [\(engine)] skip-locked claim 500 + mark: \(format(baseline))")
            print("outbox drain [\(engine)] snapshot cursor, 1000/batch: \(format(snapshot))")
            let clock = ContinuousClock()
            let start = clock.now
            _ = try await db.outbox.stats(now: .now())
            print("outbox drain [\(engine)] stats() after drain: \(start.duration(to: clock.now))")
        }
    }
}
