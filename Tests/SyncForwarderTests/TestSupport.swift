import FarmIQTestSupport
import FarmIQCore
import Foundation
import Logging
@testable import FarmIQStorage

enum Fixtures {
    static func telemetry(_ n: Int, tenant: String = "tenant-a") -> TelemetryMessage {
        let eventID = UUID().uuidString.lowercased()
        let at = Timestamp(millisecondsSinceEpoch: 1_796_000_000_000 + Int64(n))
        return TelemetryMessage(
            address: DeviceAddress(tenantID: tenant, farmID: "farm-1", barnID: "barn-1", deviceID: "dev-\(n % 10)")!,
            header: EnvelopeHeader(schemaVersion: 1, eventID: eventID, eventType: "telemetry.reading", occurredAt: at, traceID: nil),
            readings: [Reading(metric: "temperature", value: 21.5, unit: "celsius")],
            payload: .object([("readings", .array([.object([("metric", .string("temperature")), ("value", .number(JSONNumber(21.5))), ("unit", .string("celsius"))])]))]),
            receivedAt: at)
    }

    static func event(type: String, tenant: String = "tenant-a") -> DeviceEvent {
        DeviceEvent(
            address: DeviceAddress(tenantID: tenant, farmID: "farm-1", barnID: "barn-1", deviceID: "dev-x")!,
            header: EnvelopeHeader(schemaVersion: 1, eventID: UUID().uuidString.lowercased(), eventType: type,
                                   occurredAt: Timestamp(millisecondsSinceEpoch: 1_796_000_000_000), traceID: nil),
            payload: .object([("status", .string("online"))]),
            receivedAt: Timestamp(millisecondsSinceEpoch: 1_796_000_000_010))
    }

    /// Ingests `count` telemetry messages in batches of 500; returns their event ids.
    static func ingest(_ db: EdgeDatabase, count: Int, tenant: String = "tenant-a") async throws -> [String] {
        var ids: [String] = []
        var n = 0
        while n < count {
            let batch = (n..<min(count, n + 500)).map { telemetry($0, tenant: tenant) }
            _ = try await db.telemetry.ingest(batch)
            ids += batch.map(\.header.eventID)
            n += batch.count
        }
        return ids
    }
}

/// Waits until `condition` holds, polling every 50 ms, at most `timeout`.
