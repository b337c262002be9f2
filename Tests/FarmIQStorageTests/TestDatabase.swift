import FarmIQTestSupport
import FarmIQCore
import Foundation
import Logging
@testable import FarmIQStorage

/// A fresh, migrated database per test: a temp SQLite file (WAL), or a new PostgreSQL database
/// `farmiq_t_<random>` created and dropped through the admin URL, so tests run in parallel and re-run.
enum TestDatabase {
    static let adminURL = ProcessInfo.processInfo.environment["FARMIQ_TEST_POSTGRES_URL"]
        ?? "postgres://farmiq:farmiq@127.0.0.1:5432/farmiq_test"

    static let logger: Logger = TestLogFile.logger(
        "farmiq.storage.tests", level: ProcessInfo.processInfo.environment["FARMIQ_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info)

    static func with(_ engine: DatabaseEngine, migrate: Bool = true, _ body: @Sendable (EdgeDatabase) async throws -> Void) async throws {
        switch engine {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("farmiq-storage-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let database = try EdgeDatabase.open(.sqlite(path: directory.appendingPathComponent("db/edge.sqlite").path), logger: logger)
            try await running(database, migrate: migrate, body)
        case .postgres:
            guard case .postgres(let admin) = try DatabaseURL(parsing: adminURL) else {
                throw EdgeError(.invalidConfiguration, "FARMIQ_TEST_POSTGRES_URL must be a postgres:// URL")
            }
            let name = "farmiq_t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
            let adminDatabase = try EdgeDatabase.open(.postgres(admin), logger: logger)
            try await running(adminDatabase, migrate: false) { adminDatabase in
                try await adminDatabase.execute(unsafeSQL: "CREATE DATABASE \(name)")
                do {
                    var location = admin
                    location.database = String(name)
                    let database = try EdgeDatabase.open(.postgres(location), logger: logger)
                    try await running(database, migrate: migrate, body)
                } catch {
                    try? await adminDatabase.execute(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
                    throw error
                }
                try await adminDatabase.execute(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            }
        }
    }

    /// Runs `database.run()` beside `body` and stops it afterwards.
    static func running(_ database: EdgeDatabase, migrate: Bool, _ body: @Sendable (EdgeDatabase) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await database.run() }
            do {
                if migrate { try await database.migrate() }
                try await body(database)
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
            try await group.waitForAll()
        }
    }
}

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
