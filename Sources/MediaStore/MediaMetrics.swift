import FarmIQCore
import FarmIQStorage
import Prometheus

/// Metrics of edge-media-store: `farmiq_media_uploads_total{status}` (the HTTP status answered),
/// `farmiq_media_stored_bytes_total`, `farmiq_media_sweep_removed_total{kind}` (`temporary`, `orphan`),
/// `farmiq_media_reclaimed_total`, and at each scrape the backlog towards the cloud:
/// `farmiq_media_pending_upload`, `farmiq_media_pending_upload_bytes`,
/// `farmiq_media_pending_upload_oldest_age_seconds`, `farmiq_media_objects{state}` (`on_disk`, `evicted`).
public final class MediaMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let storedBytes: Counter
    private let reclaimed: Counter
    private let pending: Gauge
    private let pendingBytes: Gauge
    private let oldestAge: Gauge

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        storedBytes = registry.makeCounter(descriptor: .init(
            metricName: "farmiq_media_stored_bytes_total", unitName: "", helpText: "Bytes of images stored (201 answers)"))
        reclaimed = registry.makeCounter(descriptor: .init(
            metricName: "farmiq_media_reclaimed_total", unitName: "",
            helpText: "Image files deleted to free the media volume (only images the cloud has)"))
        pending = registry.makeGauge(descriptor: .init(
            metricName: "farmiq_media_pending_upload", unitName: "", helpText: "Images whose bytes the cloud does not have yet"))
        pendingBytes = registry.makeGauge(descriptor: .init(
            metricName: "farmiq_media_pending_upload_bytes", unitName: "", helpText: "Bytes of the images waiting for the cloud"))
        oldestAge = registry.makeGauge(descriptor: .init(
            metricName: "farmiq_media_pending_upload_oldest_age_seconds", unitName: "",
            helpText: "Age of the oldest image waiting for the cloud (0 when none)"))
    }

    func answered(status: Int, storedBytes bytes: Int = 0) {
        registry.makeCounter(
            descriptor: .init(metricName: "farmiq_media_uploads_total", unitName: "", helpText: "Media uploads by the HTTP status answered"),
            labels: [("status", "\(status)")]
        ).increment()
        if bytes > 0 { storedBytes.increment(by: Int64(bytes)) }
    }

    func swept(kind: String, count: Int) {
        guard count > 0 else { return }
        registry.makeCounter(
            descriptor: .init(metricName: "farmiq_media_sweep_removed_total", unitName: "",
                              helpText: "Files removed by the media sweep: temporary (a crashed upload) or orphan (no row)"),
            labels: [("kind", kind)]
        ).increment(by: Int64(count))
    }

    func reclaimed(count: Int) {
        reclaimed.increment(by: Int64(count))
    }

    /// Sets the backlog gauges (called at scrape time).
    public func update(_ backlog: MediaBacklog, now: Timestamp = .now()) {
        pending.set(Double(backlog.pending))
        pendingBytes.set(Double(backlog.pendingBytes))
        let age = backlog.oldestPendingCreatedAt.map { max(0, now.secondsSinceEpoch - $0.secondsSinceEpoch) } ?? 0
        oldestAge.set(age)
        for (state, count) in [("on_disk", backlog.onDisk), ("evicted", backlog.evicted)] {
            registry.makeGauge(
                descriptor: .init(metricName: "farmiq_media_objects", unitName: "", helpText: "Stored images by whether their file is on disk"),
                labels: [("state", state)]
            ).set(Double(count))
        }
    }
}
