import FarmIQCore
import FarmIQStorage
import Foundation
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle
import MediaAccess

/// edge-vision-inference (`farmiq-edge serve vision-inference`, part of `all-in-one`): `workers` loops that each
/// claim one job at a time with a lease (``FarmIQStorage/InferenceStore``), read the image (``MediaAccess/MediaSource``),
/// run ``ImageAnalysis`` and finish the job with its result and its `inference.completed` / `inference.failed`
/// outbox event in one transaction. An image that can never be analysed fails after one try; a transient failure
/// (the database) gives the job back with backoff. A worker killed mid-job only delays it: its lease runs out and
/// another claims it; the lease check at finish keeps it to one event per image.
///
/// Not built yet: the per-station self-calibration (every result uses ``WeightModel/prior``, `calibrated: false`).
public struct InferenceService: Service {
    public struct Configuration: Sendable {
        public var workers: Int
        /// Where image bytes come from: the media volume, or the media store over HTTP (cluster mode).
        public var source: MediaSource
        public var lease: Duration
        public var pollInterval: Duration

        public init(workers: Int, source: MediaSource, lease: Duration = .seconds(60), pollInterval: Duration = .seconds(1)) {
            self.workers = max(1, workers)
            self.source = source
            self.lease = lease
            self.pollInterval = pollInterval
        }
    }

    let configuration: Configuration
    let store: any InferenceStore
    let metrics: InferenceMetrics
    let logger: Logger
    let owner = "inference-\(EventID.v7().suffix(12))"
    let analysis = ImageAnalysis()

    /// Called after a result of an image with a session was stored (the session's next revision counts it).
    let resultStored: (@Sendable (MediaObject) async -> Void)?

    public init(
        configuration: Configuration, store: any InferenceStore, metrics: InferenceMetrics, logger: Logger,
        resultStored: (@Sendable (MediaObject) async -> Void)? = nil
    ) {
        self.resultStored = resultStored
        self.configuration = configuration
        self.store = store
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                for worker in 0..<configuration.workers {
                    group.addTask { await self.work("\(self.owner)-\(worker)") }
                }
            }
        }
    }

    private func work(_ owner: String) async {
        var backoff = RetryBackoff(base: .milliseconds(500), cap: .seconds(30))
        while !Task.isCancelled {
            do {
                let jobs = try await store.claim(owner: owner, limit: 1, leaseMilliseconds: configuration.lease.milliseconds, now: .now())
                guard let job = jobs.first else {
                    try await Task.sleep(for: configuration.pollInterval)
                    continue
                }
                try await process(job, owner: owner)
                backoff.reset()
            } catch is CancellationError {
                return
            } catch {
                let wait = backoff.next()
                logger.warning("inference worker failed; retrying", metadata: ["error": "\(error)", "retry_in": "\(wait)"])
                try? await Task.sleep(for: wait)
            }
        }
    }

    /// One job: the image's bytes, the analysis, the result with its event.
    func process(_ job: InferenceJob, owner: String) async throws {
        let result: InferenceResult
        switch await read(job.media) {
        case .success(let bytes):
            result = analysis.analyse(bytes)
        case .failure(let reason):
            result = ImageAnalysis.failed(reason, durationMs: 0)
        case .transient(let error):
            // The media store is unreachable: the job waits, it does not fail.
            try await store.release(job, owner: owner, error: error, retryAt: Timestamp.now().adding(milliseconds: 10_000))
            logger.warning("image bytes unavailable for now; job released", metadata: ["media.id": "\(job.media.mediaID)", "error": "\(error)"])
            return
        }
        let now = Timestamp.now()
        let event = ImageAnalysis.event(for: job.media, result: result, eventID: EventID.v7(at: now), at: now)
        do {
            guard try await store.finish(job, result: result, event: event, owner: owner, at: now) else {
                logger.warning("inference job lease lost before it finished; another worker has it", metadata: ["media.id": "\(job.media.mediaID)"])
                return
            }
        } catch {
            try? await store.release(job, owner: owner, error: "\(error)", retryAt: now.adding(milliseconds: 5000))
            throw error
        }
        metrics.finished(result)
        if job.media.sessionID != nil, result.status == .completed { await resultStored?(job.media) }
        if result.status == .failed {
            logger.warning("image cannot be analysed", metadata: ["media.id": "\(job.media.mediaID)", "reason": "\(result.reason ?? "")"])
        }
    }

    enum ReadOutcome { case success([UInt8]), failure(String), transient(String) }

    private func read(_ media: MediaObject) async -> ReadOutcome {
        guard media.evictedAt == nil else { return .failure("image_unavailable: its file was reclaimed after upload") }
        do {
            guard let buffer = try await configuration.source.bytes(of: media) else { return .failure("image_unavailable: the file is gone") }
            return .success(Array(buffer.readableBytesView))
        } catch {
            return .transient("\(String(describing: error).prefix(160))")
        }
    }
}

/// Metrics of edge-vision-inference: `farmiq_inference_images_total{status}`, `farmiq_inference_failures_total{reason}`
/// (the reason's word before `:`), `farmiq_inference_milliseconds_total` (time in the pipeline), and at each scrape
/// `farmiq_inference_jobs_waiting` and `farmiq_inference_oldest_waiting_age_seconds`.
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

    func finished(_ result: InferenceResult) {
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
