import FarmIQCore
import Foundation
import Testing
@testable import FarmIQStorage

/// Prints the ingest rate for 500-message batches of 3 readings (a figure, not a pass/fail bar).
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
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            #expect(inserted == batches * 500)
            print("ingest[\(engine)]: \(batches) batches x 500 msgs x 3 readings in \(String(format: "%.2f", seconds)) s = \(Int(Double(inserted) / seconds)) msg/s, \(Int(Double(inserted * 3) / seconds)) rows/s")
        }
    }
}
