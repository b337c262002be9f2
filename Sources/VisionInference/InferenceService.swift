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
/// Each image is weighed with its station's calibrated model (``CalibrationService``), else ``WeightModel/prior``.
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
    /// The stations' models (nil: every image uses ``WeightModel/prior``).
    let models: (any WeightModelStore)?
    /// Each camera's recent single-bird area, against which touching birds are counted.
    let singleBirdAreas = SingleBirdAreas()

    /// Called after a result of an image with a session was stored (the session's next revision counts it).
    let resultStored: (@Sendable (MediaObject) async -> Void)?

    public init(
        configuration: Configuration, store: any InferenceStore, models: (any WeightModelStore)? = nil, metrics: InferenceMetrics, logger: Logger,
        resultStored: (@Sendable (MediaObject) async -> Void)? = nil
    ) {
        self.models = models
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
        let model: WeightModel
        do {
            model = try await weightModel(for: job.media)
        } catch {
            try? await store.release(job, owner: owner, error: "\(error)", retryAt: Timestamp.now().adding(milliseconds: 5000))
            throw error
        }
        let result: InferenceResult
        var stages = ImageAnalysis.StageTimes()
        switch await read(job.media) {
        case .success(let bytes):
            let camera = job.media.address.description
            result = ImageAnalysis(model: model).analyse(bytes, singleBirdArea: singleBirdAreas.reference(for: camera), stages: &stages)
            if let area = result.singleBirdAreaPx { singleBirdAreas.record(area, for: camera) }
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
        metrics.finished(result, stages: stages)
        if job.media.sessionID != nil, result.status == .completed { await resultStored?(job.media) }
        if result.status == .failed {
            logger.warning("image cannot be analysed", metadata: ["media.id": "\(job.media.mediaID)", "reason": "\(result.reason ?? "")"])
        }
    }

    /// The calibrated model of the station of the image's session, else ``WeightModel/prior`` (an image without a
    /// session, a session not known yet, a station with too few sessions).
    func weightModel(for media: MediaObject) async throws -> WeightModel {
        guard let models, let sessionID = media.sessionID,
            let stored = try await models.current(tenantID: media.address.tenantID, sessionID: sessionID), stored.calibrated
        else { return .prior }
        return WeightModel(stored)
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
