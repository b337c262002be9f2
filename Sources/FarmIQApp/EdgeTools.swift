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
            if configuration.cloudURL == nil {
                lines.append("  Cloud sync: paused (FARMIQ_CLOUD_URL is not set); data is kept and queued")
            } else {
                lines.append("  Cloud sync: not built yet in this version; data is kept and queued")
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
}
