import FarmIQTestSupport
import FarmIQCore
import Foundation
import Logging
@testable import FarmIQStorage

/// Builders of valid messages.
enum Fixtures {
    static let baseTime: Int64 = 1_796_000_000_000 - 1_796_000_000_000 % 3_600_000  // an hour boundary in 2026

    static func eventID() -> String { UUID().uuidString.lowercased() }

    static func address(tenant: String = "tenant-a", farm: String = "farm-1", barn: String = "barn-1", device: String = "dev-1") -> DeviceAddress {
        DeviceAddress(tenantID: tenant, farmID: farm, barnID: barn, deviceID: device)!
    }

    static func telemetry(
        tenant: String = "tenant-a", device: String = "dev-1", eventID: String = Fixtures.eventID(), at offset: Int64,
        readings: [(String, Double)], receivedAt: Int64? = nil
    ) -> TelemetryMessage {
        let occurredAt = Timestamp(millisecondsSinceEpoch: baseTime + offset)
        let items: [JSONValue] = readings.map { metric, value in
            .object([("metric", .string(metric)), ("value", .number(JSONNumber(value))), ("unit", .string("u"))])
        }
        return TelemetryMessage(
            address: address(tenant: tenant, device: device),
            header: EnvelopeHeader(schemaVersion: 1, eventID: eventID, eventType: "telemetry.reading", occurredAt: occurredAt, traceID: nil),
            readings: readings.map { Reading(metric: $0.0, value: $0.1, unit: "u") },
            payload: .object([("readings", .array(items))]),
            receivedAt: Timestamp(millisecondsSinceEpoch: receivedAt ?? (baseTime + offset + 5)))
    }

    static func event(tenant: String = "tenant-a", device: String = "dev-1", eventID: String = Fixtures.eventID(), type: String = "device.status") -> DeviceEvent {
        DeviceEvent(
            address: address(tenant: tenant, device: device),
            header: EnvelopeHeader(schemaVersion: 1, eventID: eventID, eventType: type,
                                   occurredAt: Timestamp(millisecondsSinceEpoch: baseTime), traceID: "4bf92f3577b34da6a3ce929d0e0e4736"),
            payload: .object([("status", .string("online"))]),
            receivedAt: Timestamp(millisecondsSinceEpoch: baseTime + 10))
    }

    static func time(_ offset: Int64) -> Timestamp { Timestamp(millisecondsSinceEpoch: baseTime + offset) }
}
