import FarmIQCore
import FarmIQStorage
import IngressGateway
import Logging
import Prometheus

/// Renders the process's Prometheus registry, refreshing the gauges that are read from the database
/// and the disks at scrape time: outbox backlog, oldest pending age, dead letters, volume usage.
public final class EdgeMetricsCollector: Sendable {
    let registry: PrometheusCollectorRegistry
    let database: EdgeDatabase
    let volumes: [(name: String, path: String)]
    let logger: Logger
    private let pending: Gauge
    private let oldestAge: Gauge
    private let deadLetter: Gauge
    private let queued: Gauge
    private let volumeRatios: [Gauge]
    /// Gauges that other components refresh at scrape time (e.g. the gateway's MQTT connection counts).
    private let refreshers: [@Sendable () async -> Void]

    init(
        registry: PrometheusCollectorRegistry, database: EdgeDatabase, volumes: [(name: String, path: String)],
        refreshers: [@Sendable () async -> Void] = [], logger: Logger
    ) {
        self.refreshers = refreshers
        self.registry = registry
        self.database = database
        self.volumes = volumes
        self.logger = logger
        pending = registry.gauge("farmiq_sync_outbox_pending", help: "Events waiting to be sent to the cloud")
        oldestAge = registry.gauge("farmiq_sync_outbox_oldest_pending_age_seconds", help: "Age of the oldest event waiting to be sent")
        deadLetter = registry.gauge("farmiq_sync_outbox_dead_letter", help: "Events parked after a permanent rejection by the cloud")
        queued = registry.gauge(
            "farmiq_sync_outbox_queued", help: "Events queued for the cloud since the database began (the outbox sequence; a retried dead letter counts again)")
        volumeRatios = volumes.map {
            registry.gauge("farmiq_volume_used_ratio", labels: [("volume", $0.name)], help: "Used fraction of the volume")
        }
    }

    func scrape() async -> [UInt8] {
        do {
            let stats = try await database.outbox.stats(now: .now())
            pending.set(Double(stats.pending))
            oldestAge.set(stats.oldestPendingAgeSeconds)
            deadLetter.set(Double(stats.deadLetter))
            queued.set(Double(try await database.outbox.queuedTotal()))
        } catch {
            logger.warning("metrics: outbox stats unavailable", metadata: ["error": "\(error)"])
        }
        for refresh in refreshers { await refresh() }
        for (index, volume) in volumes.enumerated() {
            if let ratio = EdgeMetricsCollector.usedRatio(path: volume.path) {
                volumeRatios[index].set(ratio)
            }
        }
        return registry.emitToBuffer()
    }

    /// Used fraction of the file system holding `path` (as `df` computes it), nil if it cannot be read.
    public static func usedRatio(path: String) -> Double? {
        VolumeUsage.read(path: path)?.usedRatio
    }
}
