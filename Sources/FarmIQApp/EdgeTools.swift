import FarmIQCore
import FarmIQStorage
import Logging

/// One-shot operator commands that need the database: `migrate`, `status`.
public enum EdgeTools {
    /// Runs `body` with an open, running database, then closes it.
    static func withDatabase<T: Sendable>(
        _ configuration: EdgeConfiguration, logger: Logger, _ body: @Sendable @escaping (EdgeDatabase) async throws -> T
    ) async throws -> T {
        let database = try EdgeDatabase.open(configuration.databaseURL, logger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await database.run()
                return nil
            }
            defer { group.cancelAll() }
            return try await body(database)
        }
    }

    public static func migrate(configuration: EdgeConfiguration, logger: Logger) async throws {
        try await withDatabase(configuration, logger: logger) { database in
            try await database.migrate()
            logger.info("migrations applied", metadata: ["database": "\(configuration.databaseURL)"])
        }
    }

    /// A plain-text report a farm technician can read.
    public static func status(configuration: EdgeConfiguration, logger: Logger) async throws -> String {
        try await withDatabase(configuration, logger: logger) { database in
            try await database.migrate()
            let stats = try await database.outbox.stats(now: .now())
            let rejects = try await database.ingress.rejectCounts()
            var lines = ["FarmIQ Edge status — database \(configuration.databaseURL)"]
            lines.append("  Waiting to be sent to the cloud: \(stats.pending) events"
                + (stats.pending > 0 ? ", oldest waiting \(formatAge(stats.oldestPendingAgeSeconds))" : ""))
            lines.append("  Parked after a cloud rejection (dead letters): \(stats.deadLetter)")
            let syncRows = try await database.outbox.syncState()
            if configuration.cloudURL == nil {
                lines.append("  Cloud sync: paused (FARMIQ_CLOUD_URL is not set); data is kept and queued")
            } else if let forwarder = syncRows.first(where: { $0.tenantID == SyncStateRow.forwarder }) {
                lines.append("  Cloud sync: \(forwarder.state)" + (forwarder.detail.map { " — \($0)" } ?? ""))
            } else {
                lines.append("  Cloud sync: not started yet")
            }
            let now = Timestamp.now()
            for row in syncRows where row.tenantID != SyncStateRow.forwarder {
                let last = row.lastSuccessAt.map { "\(formatAge(Double(now.millisecondsSinceEpoch - $0.millisecondsSinceEpoch) / 1000)) ago" } ?? "never"
                lines.append("  Last successful sync for tenant \(row.tenantID): \(last)")
            }
            let totalRejects = rejects.values.reduce(0, +)
            let detail = rejects.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
            lines.append("  Messages rejected as invalid: \(totalRejects)" + (totalRejects > 0 ? " (\(detail))" : ""))
            return lines.joined(separator: "\n")
        }
    }

    /// `3d 4h`, `2h 5m`, `42s`.
    static func formatAge(_ seconds: Double) -> String {
        let total = Int(seconds)
        let days = total / 86_400, hours = total / 3600 % 24, minutes = total / 60 % 60
        if days > 0 { return "\(days)d \(hours)h" }
        if hours > 0 { return "\(hours)h \(minutes)m" }
        if minutes > 0 { return "\(minutes)m \(total % 60)s" }
        return "\(total)s"
    }

    /// `farmiq-edge outbox dead-letters`: the parked events with the cloud's reason.
    public static func deadLetters(configuration: EdgeConfiguration, limit: Int, logger: Logger) async throws -> String {
        try await withDatabase(configuration, logger: logger) { database in
            try await database.migrate()
            let rows = try await database.outbox.deadLetters(limit: limit)
            if rows.isEmpty { return "No dead letters." }
            var lines = ["id\tparked at\ttenant\tevent type\tevent id\treason"]
            for row in rows {
                lines.append("\(row.id)\t\(row.parkedAt.rfc3339)\t\(row.tenantID)\t\(row.eventType)\t\(row.eventID)\t\(row.reason)")
            }
            return lines.joined(separator: "\n")
        }
    }

    /// `farmiq-edge outbox retry|discard`: re-queues or drops parked events; returns how many.
    public static func resolveDeadLetters(
        configuration: EdgeConfiguration, selection: DeadLetterSelection, retry: Bool, logger: Logger
    ) async throws -> Int {
        try await withDatabase(configuration, logger: logger) { database in
            try await database.migrate()
            return retry
                ? try await database.outbox.retryDeadLetters(selection)
                : try await database.outbox.discardDeadLetters(selection)
        }
    }

    /// `farmiq-edge bench outbox`: both outbox designs on the same (scratch) database, rows/s printed.
    public static func outboxBenchmark(configuration: EdgeConfiguration, rows: Int, batchSize: Int, logger: Logger) async throws -> String {
        try await withDatabase(configuration, logger: logger) { database in
            try await database.migrate()
            var lines = ["outbox benchmark: \(rows) rows, batches of \(batchSize), database \(configuration.databaseURL)"]
            for mode in OutboxBenchmarkMode.allCases {
                let result = try await database.outbox.benchmark(mode, rows: rows, batchSize: batchSize)
                let segments = result.segmentRates.map { String(Int($0)) }.joined(separator: " ")
                lines.append("  \(mode.rawValue): \(Int(result.rowsPerSecond)) rows/s (each tenth of the run: \(segments))")
            }
            return lines.joined(separator: "\n")
        }
    }
}
