import FarmIQCore
import FarmIQStorage
import Prometheus

/// Metrics of edge-weighvision-session: `farmiq_sessions_finalized_total{status}`, and at each scrape
/// `farmiq_sessions{status}` and `farmiq_sessions_due` (sessions whose finalization is overdue: a backlog
/// here means the pass is behind or failing). The registry returns the existing collector for a name and labels,
/// so the labelled ones are asked for when used.
public final class SessionMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let dueGauge: Gauge

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        dueGauge = registry.makeGauge(
            descriptor: MetricNameDescriptor(metricName: "farmiq_sessions_due", unitName: "",
                                             helpText: "Weigh sessions due for finalization now"))
    }

    func finalized(status: String) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(metricName: "farmiq_sessions_finalized_total", unitName: "",
                                             helpText: "Weigh session revisions finalized, by status"),
            labels: [("status", status)]
        ).increment()
    }

    /// Sets the gauges from the store's counts (called at scrape time).
    public func update(_ counts: SessionCounts) {
        dueGauge.set(Double(counts.due))
        for status in ["open", "completed", "cancelled", "timed_out"] {
            registry.makeGauge(
                descriptor: MetricNameDescriptor(metricName: "farmiq_sessions", unitName: "", helpText: "Weigh sessions by status"),
                labels: [("status", status)]
            ).set(Double(counts.byStatus[status] ?? 0))
        }
    }
}
