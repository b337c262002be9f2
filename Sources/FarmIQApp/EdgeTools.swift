import FarmIQCore
import Foundation
import FarmIQStorage
import Logging

/// One-shot operator commands that need the database: `migrate`, `status`.
public enum EdgeTools {
    /// Runs `body` with an open, running database, then closes it.
    package static func withDatabase<T: Sendable>(
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

    /// A plain-text report a farm technician can read, from what the running edge recorded: the database
    /// (outbox, the forwarder's `sync_state`, rejects, recent activity, its size) and, over HTTP, the running
    /// service's own gauges (broker connection, stalled intake, disk). Nothing is created or migrated: a
    /// SQLite database that does not exist is an error naming the path it looked at.
    public static func status(configuration: EdgeConfiguration, logger: Logger) async throws -> String {
        if case .sqlite(let path) = configuration.databaseURL, !FileManager.default.fileExists(atPath: path) {
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            throw EdgeError(.invalidConfiguration, "no database at \(absolute) (FARMIQ_DATABASE_URL): run status where the edge runs, or pass --database-url")
        }
        let service = await ServiceSnapshot.fetch(configuration)
        return try await withDatabase(configuration, logger: logger) { database in
            let now = Timestamp.now()
            let activity = try await database.activity(
                devicesSince: now.adding(milliseconds: -600_000), messagesSince: now.adding(milliseconds: -3_600_000))
            guard let version = activity.schemaVersion else {
                throw EdgeError(.invalidConfiguration, "\(configuration.databaseURL) holds no FarmIQ Edge schema: is it the edge's database?")
            }
            var lines = ["FarmIQ Edge status — database \(configuration.databaseURL) (schema version \(version))"]
            lines.append(service.summary)
            let stats = try await database.outbox.stats(now: now)
            lines.append("  Waiting to be sent to the cloud: \(stats.pending) events"
                + (stats.pending > 0 ? ", oldest waiting \(formatAge(stats.oldestPendingAgeSeconds))" : ""))
            lines.append("  Parked after a cloud rejection (dead letters): \(stats.deadLetter)")
            let syncRows = try await database.outbox.syncState()
            if let forwarder = syncRows.first(where: { $0.tenantID == SyncStateRow.forwarder }) {
                let age = formatAge(Double(now.millisecondsSinceEpoch - forwarder.updatedAt.millisecondsSinceEpoch) / 1000)
                lines.append("  Cloud sync (as the forwarder recorded it \(age) ago): \(forwarder.state)" + (forwarder.detail.map { " — \($0)" } ?? ""))
            } else {
                lines.append("  Cloud sync: no forwarder has run on this database yet")
            }
            for row in syncRows where row.tenantID != SyncStateRow.forwarder {
                let last = row.lastSuccessAt.map { "\(formatAge(Double(now.millisecondsSinceEpoch - $0.millisecondsSinceEpoch) / 1000)) ago" } ?? "never"
                lines.append("  Last successful sync for tenant \(row.tenantID): \(last)")
            }
            let media = try await database.media.backlog()
            lines.append("  Images waiting for the cloud: \(media.pending) (\(media.pendingBytes / 1_048_576) MiB)"
                + (media.oldestPendingCreatedAt.map { ", oldest waiting \(formatAge(Double(now.millisecondsSinceEpoch - $0.millisecondsSinceEpoch) / 1000))" } ?? "")
                + "; on disk \(media.onDisk), reclaimed after upload \(media.evicted)")
            lines.append("  Devices sending: \(activity.devicesSeen) with a message accepted in the last 10 minutes")
            lines.append("  Messages accepted in the last hour: \(activity.messagesReceived) (duplicates and rejects not counted)")
            let rejects = try await database.ingress.rejectCounts()
            let totalRejects = rejects.values.reduce(0, +)
            let detail = rejects.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
            lines.append("  Messages rejected since the database began: \(totalRejects)" + (totalRejects > 0 ? " (\(detail))" : ""))
            lines.append(diskLine(configuration, activity: activity))
            return lines.joined(separator: "\n")
        }
    }

    /// Disk used and, at the last hour's rate, the days left before the hard watermark stops intake.
    static func diskLine(_ configuration: EdgeConfiguration, activity: EdgeActivity) -> String {
        guard let path = configuration.databaseVolumePath, let volume = VolumeUsage.read(path: path) else {
            return "  Database volume: not watched (set FARMIQ_DB_VOLUME_PATH for PostgreSQL on a local volume); database \(activity.databaseBytes / 1_048_576) MiB"
        }
        var line = String(format: "  Database volume: %.0f%% used, %.1f GiB free; database %d MiB", volume.usedRatio * 100,
                          Double(volume.availableBytes) / 1_073_741_824, activity.databaseBytes / 1_048_576)
        let bytesPerMessage = activity.storedMessages > 0 ? Double(activity.databaseBytes) / Double(activity.storedMessages) : 0
        let perDay = Double(activity.messagesReceived) * 24 * bytesPerMessage
        let headroom = (configuration.dbHardWatermark - volume.usedRatio) * Double(volume.totalBytes)
        if perDay > 0, headroom > 0 {
            line += String(format: "; at the last hour's rate (≈ %.0f B per message) intake stops at the hard watermark in about %.1f days", bytesPerMessage, headroom / perDay)
        }
        return line
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
}
