import FarmIQCore
import FarmIQStorage
import Prometheus

/// Metrics of edge-weighvision-session: `farmiq_sessions_finalized_total{status}`, and at each scrape
/// `farmiq_sessions{status}` and `farmiq_sessions_due` (sessions whose finalization is overdue: a backlog
/// here means the pass is behind or failing).
public final class SessionMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let finalizedCounters = LockedValue<[String: Counter]>([:])
    private let statusGauges = LockedValue<[String: Gauge]>([:])
    private let dueGauge: Gauge

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        dueGauge = registry.makeGauge(
            descriptor: MetricNameDescriptor(metricName: "farmiq_sessions_due", unitName: "",
                                             helpText: "Weigh sessions due for finalization now"))
    }

    func finalized(status: String) {
        let counter = finalizedCounters.withLock { counters in
            if let counter = counters[status] { return counter }
            let counter = registry.makeCounter(
                descriptor: MetricNameDescriptor(metricName: "farmiq_sessions_finalized_total", unitName: "",
                                                 helpText: "Weigh session revisions finalized, by status"),
                labels: [("status", status)])
            counters[status] = counter
            return counter
        }
        counter.increment()
    }

    /// Sets the gauges from the store's counts (called at scrape time).
    public func update(_ counts: SessionCounts) {
        dueGauge.set(Double(counts.due))
        for status in ["open", "completed", "cancelled", "timed_out"] {
            let gauge = statusGauges.withLock { gauges in
                if let gauge = gauges[status] { return gauge }
                let gauge = registry.makeGauge(
                    descriptor: MetricNameDescriptor(metricName: "farmiq_sessions", unitName: "",
                                                     helpText: "Weigh sessions by status"),
                    labels: [("status", status)])
                gauges[status] = gauge
                return gauge
            }
            gauge.set(Double(counts.byStatus[status] ?? 0))
        }
    }
}
