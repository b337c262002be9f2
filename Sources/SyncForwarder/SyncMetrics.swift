import FarmIQCore
import Foundation
import Prometheus

/// The forwarder's metrics (`contracts.md` §6 plus batch latency, send rate and state).
final class SyncMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    let batchLatency: ValueHistogram
    let accepted: Counter
    let duplicates: Counter
    let rejected: Counter
    let retried: Counter
    let authFailure: Gauge
    let splits: Counter
    let endpointRefusals: Counter
    private let stateGauges: [String: Gauge]

    static let states = ["paused", "standby", "idle", "sending", "backoff", "unauthorized", "refused", "error"]

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        batchLatency = registry.makeValueHistogram(
            descriptor: MetricNameDescriptor(metricName: "farmiq_sync_batch_duration_seconds", unitName: "",
                                             helpText: "Time of one POST of a batch to the cloud"),
            buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30])
        func events(_ result: String) -> Counter {
            registry.makeCounter(
                descriptor: MetricNameDescriptor(metricName: "farmiq_sync_events_sent_total", unitName: "",
                                                 helpText: "Events sent to the cloud, by result"),
                labels: [("result", result)])
        }
        accepted = events("accepted")
        duplicates = events("duplicate")
        rejected = events("rejected")
        retried = events("retried")
        authFailure = registry.makeGauge(
            descriptor: MetricNameDescriptor(metricName: "farmiq_sync_auth_failure", unitName: "",
                                             helpText: "1 while the cloud refuses the edge's credentials (401/403)"))
        splits = registry.makeCounter(
            descriptor: MetricNameDescriptor(metricName: "farmiq_sync_batches_split_total", unitName: "",
                                             helpText: "Batches split in two after the cloud refused them (413 or another 4xx) or they kept timing out"))
        endpointRefusals = registry.makeCounter(
            descriptor: MetricNameDescriptor(metricName: "farmiq_sync_endpoint_refusals_total", unitName: "",
                                             helpText: "Times the cloud refused the endpoint rather than an event (nothing parked; backed off)"))
        var gauges: [String: Gauge] = [:]
        for state in SyncMetrics.states {
            gauges[state] = registry.makeGauge(
                descriptor: MetricNameDescriptor(metricName: "farmiq_sync_state", unitName: "",
                                                 helpText: "What the sync forwarder is doing (1 for the current state)"),
                labels: [("state", state)])
        }
        stateGauges = gauges
    }

    func setState(_ state: String) {
        for (name, gauge) in stateGauges { gauge.set(name == state ? 1.0 : 0.0) }
        authFailure.set(state == "unauthorized" ? 1.0 : 0.0)
    }

    /// The registry returns the existing gauge for a tenant once made.
    func lastSuccess(tenant: String, at seconds: Double) {
        registry.makeGauge(
            descriptor: MetricNameDescriptor(metricName: "farmiq_sync_last_success_timestamp_seconds", unitName: "",
                                             helpText: "Unix time of the last successful cloud call, per tenant"),
            labels: [("tenant_id", tenant)]
        ).set(seconds)
    }

    /// An image whose bytes the cloud accepted (`farmiq_sync_media_uploaded_total`, `…_bytes_total`).
    func mediaUploaded(bytes: Int) {
        registry.makeCounter(descriptor: MetricNameDescriptor(
            metricName: "farmiq_sync_media_uploaded_total", unitName: "", helpText: "Images whose bytes the cloud accepted")).increment()
        registry.makeCounter(descriptor: MetricNameDescriptor(
            metricName: "farmiq_sync_media_uploaded_bytes_total", unitName: "", helpText: "Bytes of the images the cloud accepted"))
            .increment(by: Int64(bytes))
    }

    /// A media upload that did not store the image, by kind (`retryable`, `unauthorized`, `refused`, `unreadable`).
    func mediaFailed(_ kind: String) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(metricName: "farmiq_sync_media_failures_total", unitName: "",
                                             helpText: "Media uploads to the cloud that did not store the image, by kind"),
            labels: [("kind", kind)]
        ).increment()
    }
}
