import Prometheus

/// Metric constructors taking the full metric name (the edge's names are fixed by the contract)
/// and always a help text.
extension PrometheusCollectorRegistry {
    public func counter(_ name: String, labels: [(String, String)] = [], help: String) -> Counter {
        makeCounter(descriptor: descriptor(name, help), labels: labels)
    }

    public func gauge(_ name: String, labels: [(String, String)] = [], help: String) -> Gauge {
        makeGauge(descriptor: descriptor(name, help), labels: labels)
    }

    public func histogram(_ name: String, buckets: [Double], help: String) -> ValueHistogram {
        makeValueHistogram(descriptor: descriptor(name, help), buckets: buckets)
    }

    private func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        // An empty unit name is dropped when Prometheus joins the components.
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
