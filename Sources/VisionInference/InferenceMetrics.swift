import FarmIQCore
import FarmIQStorage
import Foundation
import Prometheus

/// Metrics of edge-vision-inference: `farmiq_inference_images_total{status}`, `farmiq_inference_failures_total{reason}`
/// (the reason's word before `:`), `farmiq_inference_milliseconds_total` (time in the pipeline),
/// `farmiq_inference_stage_microseconds_total{stage}` (`decode`, `detect`, `estimate`: divided by the images, the time
/// per image of each stage), and at each scrape `farmiq_inference_jobs_waiting` and
/// `farmiq_inference_oldest_waiting_age_seconds`.
public final class InferenceMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let milliseconds: Counter
    private let waiting: Gauge
    private let oldest: Gauge

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        milliseconds = registry.makeCounter(descriptor: .init(
            metricName: "farmiq_inference_milliseconds_total", unitName: "", helpText: "Milliseconds spent analysing images (decode to estimate)"))
        waiting = registry.makeGauge(descriptor: .init(
            metricName: "farmiq_inference_jobs_waiting", unitName: "", helpText: "Images waiting for inference (pending or being analysed)"))
        oldest = registry.makeGauge(descriptor: .init(
            metricName: "farmiq_inference_oldest_waiting_age_seconds", unitName: "", helpText: "Age of the oldest image waiting for inference (0 when none)"))
    }

    func finished(_ result: InferenceResult, stages: ImageAnalysis.StageTimes = .init()) {
        for (stage, microseconds) in [("decode", stages.decode), ("detect", stages.detect), ("estimate", stages.estimate)] where microseconds > 0 {
            registry.makeCounter(
                descriptor: .init(metricName: "farmiq_inference_stage_microseconds_total", unitName: "", helpText: "Microseconds spent in each stage of the image pipeline"),
                labels: [("stage", stage)]
            ).increment(by: microseconds)
        }
        registry.makeCounter(
            descriptor: .init(metricName: "farmiq_inference_images_total", unitName: "", helpText: "Images analysed, by result"),
            labels: [("status", result.status.rawValue)]
        ).increment()
        milliseconds.increment(by: Int64(result.durationMs.rounded()))
        if let reason = result.reason {
            let word = String(reason.prefix { $0 != ":" }.prefix(40))
            registry.makeCounter(
                descriptor: .init(metricName: "farmiq_inference_failures_total", unitName: "", helpText: "Images that cannot be analysed, by reason"),
                labels: [("reason", word)]
            ).increment()
        }
    }

    /// Sets the backlog gauges (called at scrape time).
    public func update(waiting count: Int, oldestCreatedAt: Timestamp?, now: Timestamp = .now()) {
        waiting.set(Double(count))
        oldest.set(oldestCreatedAt.map { max(0, now.secondsSinceEpoch - $0.secondsSinceEpoch) } ?? 0)
    }
}
