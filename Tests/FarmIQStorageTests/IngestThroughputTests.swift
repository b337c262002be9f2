import FarmIQCore
import Foundation
import Testing
@testable import FarmIQStorage

/// Prints the ingest rate for 500-message batches of 3 readings (a figure, not a pass/fail bar), and checks
/// that what was timed was the whole work: every message stored, every reading rolled up once.
@Suite("Ingest throughput", .serialized)
struct IngestThroughputTests {
    @Test(arguments: DatabaseEngine.allCases)
    func ingestRate(engine: DatabaseEngine) async throws {
        let batches = Int(ProcessInfo.processInfo.environment["FARMIQ_BENCH_BATCHES"] ?? "") ?? 20
        try await TestDatabase.with(engine) { db in
            let prepared = (0..<batches).map { batch in
                (0..<500).map { i in
                    Fixtures.telemetry(device: "dev-\(i % 50)", at: Int64(batch * 500 + i) * 200,
                                       readings: [("temperature", Double(i)), ("humidity", 50), ("co2", 400)])
                }
            }
            let clock = ContinuousClock()
            let start = clock.now
            var inserted = 0
            for batch in prepared { inserted += try await db.telemetry.ingest(batch).inserted }
            let elapsed = clock.now - start
            let seconds = elapsed.seconds
            #expect(inserted == batches * 500)
            let rolledUp = try await db.scalarInt(unsafeSQL: "SELECT CAST(sum(count) AS BIGINT) FROM telemetry_agg WHERE bucket_size = 60")
            #expect(rolledUp == batches * 500 * 3)
            #expect(try await db.scalarInt(unsafeSQL: "SELECT count(*) FROM sync_outbox") == batches * 500)
            print("ingest[\(engine)]: \(batches) batches x 500 msgs x 3 readings in \(String(format: "%.2f", seconds)) s = \(Int(Double(inserted) / seconds)) msg/s, \(Int(Double(inserted * 3) / seconds)) rows/s")
        }
    }
}
