import FarmIQTestSupport
import FarmIQCore
import Foundation
import Logging
import TelemetryTimeseries
import Testing

@testable import FarmIQStorage

/// The retention pass prunes the event-id register past its horizon, in chunks, and keeps the rest.
@Suite("Retention service")
struct RetentionServiceTests {
    @Test(arguments: DatabaseEngine.allCases)
    func prunesEventIDsPastTheHorizon(engine: DatabaseEngine) async throws {
        let databaseURL = try await TestEnvironment.freshDatabaseURL(engine)
        let remaining = try await TestDatabase.withDatabase(databaseURL) { db in
            let now = Timestamp.now()
            let events = (0..<12_000).map { index in
                DeviceEvent(
                    address: DeviceAddress(tenantID: "t", farmID: "f", barnID: "b", deviceID: "d")!,
                    header: EnvelopeHeader(schemaVersion: 1, eventID: EventID.v7(), eventType: "device.status", occurredAt: now, traceID: nil),
                    payload: .object([("n", .number(JSONNumber(index)))]), receivedAt: now)
            }
            for start in stride(from: 0, to: events.count, by: 2000) {
                _ = try await db.ingress.storeEvents(Array(events[start..<start + 2000]))
            }
            // 11,000 ids first seen long ago (more than two chunks of 5000), 1,000 recent.
            try await db.execute(unsafeSQL: """
                UPDATE ingest_event_ids SET first_seen_at = 1000 WHERE event_id IN (
                    SELECT event_id FROM ingest_event_ids ORDER BY event_id LIMIT 11000)
                """)
            let service = RetentionService(
                store: db.telemetry, retentionDays: 30, eventIDs: db.ingress, eventIDHorizonMilliseconds: 86_400_000,
                logger: TestEnvironment.logger)
            await service.sweep()
            return try await db.ingress.eventIDCount()
        }
        #expect(remaining == 1000)
    }
}
