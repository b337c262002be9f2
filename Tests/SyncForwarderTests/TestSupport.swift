import FarmIQTestSupport
import FarmIQCore
import Foundation
import Logging
@testable import FarmIQStorage

/// A fresh, migrated database per test (as in FarmIQStorageTests).
enum TestDatabase {
    static let adminURL = ProcessInfo.processInfo.environment["FARMIQ_TEST_POSTGRES_URL"]
        ?? "postgres://farmiq:farmiq@127.0.0.1:5432/farmiq_test"

    static let logger: Logger = TestLogFile.logger(
        "farmiq.sync.tests", level: ProcessInfo.processInfo.environment["FARMIQ_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info)

    static func with(_ engine: DatabaseEngine, _ body: @Sendable (EdgeDatabase) async throws -> Void) async throws {
        switch engine {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("farmiq-sync-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let database = try EdgeDatabase.open(.sqlite(path: directory.appendingPathComponent("edge.sqlite").path), logger: logger)
            try await running(database, migrate: true, body)
        case .postgres:
            guard case .postgres(let admin) = try DatabaseURL(parsing: adminURL) else {
                throw EdgeError(.invalidConfiguration, "FARMIQ_TEST_POSTGRES_URL must be a postgres:// URL")
            }
            let name = "farmiq_s_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
            let adminDatabase = try EdgeDatabase.open(.postgres(admin), logger: logger)
            try await running(adminDatabase, migrate: false) { adminDatabase in
                try await adminDatabase.execute(unsafeSQL: "CREATE DATABASE \(name)")
                do {
                    var location = admin
                    location.database = String(name)
                    let database = try EdgeDatabase.open(.postgres(location), logger: logger)
                    try await running(database, migrate: true, body)
                } catch {
                    try? await adminDatabase.execute(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
                    throw error
                }
                try await adminDatabase.execute(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            }
        }
    }

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
func eventually(timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while clock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}
