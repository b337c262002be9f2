import FarmIQTestSupport
import FarmIQCore
import Foundation
import Testing
@testable import FarmIQStorage

/// Consecutive 500-message batches of 3 readings: every message stored once, every reading rolled up once, one
/// outbox row per message. (Speed is measured by `farmiq-edge bench ingest`, not here.)
@Suite("Ingest batches", .tags(.postgres), TestServices.servicesRequired, .serialized)
struct IngestBatchTests {
    @Test(arguments: DatabaseEngine.allCases)
    func consecutiveBatches(engine: DatabaseEngine) async throws {
        let batches = Int(ProcessInfo.processInfo.environment["FARMIQ_TEST_BATCHES"] ?? "") ?? 20
        try await TestDatabase.with(engine) { db in
            let prepared = (0..<batches).map { batch in
                (0..<500).map { i in
                    Fixtures.telemetry(device: "dev-\(i % 50)", at: Int64(batch * 500 + i) * 200,
                                       readings: [("temperature", Double(i)), ("humidity", 50), ("co2", 400)])
                }
            }
            var inserted = 0
            for batch in prepared { inserted += try await db.telemetry.ingest(batch).inserted }
            #expect(inserted == batches * 500)
            let rolledUp = try await db.scalarInt(unsafeSQL: "SELECT CAST(sum(count) AS BIGINT) FROM telemetry_agg WHERE bucket_size = 60")
            #expect(rolledUp == batches * 500 * 3)
            #expect(try await db.scalarInt(unsafeSQL: "SELECT count(*) FROM sync_outbox") == batches * 500)
        }
    }
}
