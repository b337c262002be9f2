import FarmIQCore
import FarmIQStorage
import Logging
import Prometheus
import ServiceLifecycle

/// The database volume's soft watermark: above it, the edge reclaims what is already safe in the
/// cloud before the hard watermark stops intake (`DiskWatermark`).
///
/// Each pass while the volume is at or above the soft watermark:
/// 1. deletes every delivered `sync_outbox` row at once (normally they are kept an hour after delivery);
/// 2. deletes up to `rawPerPass` synced raw readings, oldest first, whatever their age (normally kept
///    `FARMIQ_TELEMETRY_RETENTION_DAYS`). Roll-ups stay. Undelivered and dead-lettered data is never
///    touched: a farm offline for days keeps everything it has not sent.
/// SQLite does not shrink its file when rows go; it reuses the freed pages, so the file stops growing
/// while ingest continues. PostgreSQL's autovacuum makes the space reusable the same way.
public struct StoragePressureService: Service {
    public struct Configuration: Sendable {
        /// A path on the database volume.
        public var volumePath: String
        public var softRatio: Double
        public var interval: Duration
        public var rawChunk: Int
        public var rawPerPass: Int

        public init(volumePath: String, softRatio: Double, interval: Duration = .seconds(30), rawChunk: Int = 5000, rawPerPass: Int = 100_000) {
            self.volumePath = volumePath
            self.softRatio = softRatio
            self.interval = interval
            self.rawChunk = rawChunk
            self.rawPerPass = rawPerPass
        }
    }

    /// What one pass reclaimed.
    public struct Reclaimed: Sendable, Equatable {
        public var usedRatio: Double
        public var outboxRows: Int
        public var rawRows: Int
    }

    let configuration: Configuration
    let telemetry: any TelemetryStore
    let outbox: any OutboxStore
    let usage: @Sendable (String) -> Double?
    let logger: Logger
    private let underPressure: Gauge
    private let reclaimedOutbox: Counter
    private let reclaimedRaw: Counter

    public init(
        configuration: Configuration, telemetry: any TelemetryStore, outbox: any OutboxStore,
        usage: @escaping @Sendable (String) -> Double?, registry: PrometheusCollectorRegistry, logger: Logger
    ) {
        self.configuration = configuration
        self.telemetry = telemetry
        self.outbox = outbox
        self.usage = usage
        self.logger = logger
        underPressure = registry.gauge(
            "farmiq_storage_pressure",
            help: "1 while the database volume is at or above its soft watermark (delivered data is being reclaimed early)")
        let help = "Rows reclaimed early because the database volume was above its soft watermark"
        reclaimedOutbox = registry.counter("farmiq_storage_reclaimed_rows_total", labels: [("kind", "delivered_outbox")], help: help)
        reclaimedRaw = registry.counter("farmiq_storage_reclaimed_rows_total", labels: [("kind", "synced_raw")], help: help)
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            _ = await reclaimIfNeeded()
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.configuration.interval) }
            } catch {
                return
            }
        }
    }

    /// One pass; nil when the volume is below the soft watermark (or its usage is unknown).
    public func reclaimIfNeeded() async -> Reclaimed? {
        guard let ratio = usage(configuration.volumePath), ratio >= configuration.softRatio else {
            underPressure.set(0.0)
            return nil
        }
        underPressure.set(1.0)
        var reclaimed = Reclaimed(usedRatio: ratio, outboxRows: 0, rawRows: 0)
        let now = Timestamp.now()
        do {
            reclaimed.outboxRows = try await outbox.purgeDelivered(stream: OutboxStream.cloud, olderThan: now, chunkSize: configuration.rawChunk)
            reclaimedOutbox.increment(by: Int64(reclaimed.outboxRows))
            while reclaimed.rawRows < configuration.rawPerPass && !Task.isShuttingDownGracefully {
                let limit = min(configuration.rawChunk, configuration.rawPerPass - reclaimed.rawRows)
                let deleted = try await telemetry.deleteSyncedRaw(olderThan: now, limit: limit)
                reclaimed.rawRows += deleted
                reclaimedRaw.increment(by: Int64(deleted))
                if deleted < limit { break }
            }
        } catch {
            logger.warning("reclaiming space failed", metadata: ["error": "\(error)", "volume.used_ratio": "\(ratio)"])
        }
        logger.warning("database volume above its soft watermark: reclaimed delivered data early", metadata: [
            "volume.path": "\(configuration.volumePath)", "volume.used_ratio": "\(ratio)",
            "volume.soft_watermark": "\(configuration.softRatio)",
            "reclaimed.outbox_rows": "\(reclaimed.outboxRows)", "reclaimed.raw_rows": "\(reclaimed.rawRows)",
        ])
        return reclaimed
    }
}
