import FarmIQCore
import FarmIQStorage
import Logging
import ServiceLifecycle

/// The self-calibration of edge-vision-inference: every `interval` it takes the finalized sessions not yet learnt
/// from (``WeightModelStore/calibrationCandidates(limit:)``), records what each teaches (``CalibrationRule``) and,
/// when a station gained a pair, refits its model (``WeightCalibration``) and stores it as the station's next
/// version. Durable by construction: what is recorded is in the database, so after a crash the pass resumes with
/// the sessions still unrecorded; a revision already recorded (by another replica) is not refitted twice.
///
/// Inference uses a station's model once it is calibrated (``WeightCalibration/minimumSessions`` usable
/// sessions); before that it uses ``WeightModel/prior`` and says `calibrated: false`.
public struct CalibrationService: Service {
    let store: any WeightModelStore
    let logger: Logger
    let interval: Duration
    let batchSize: Int

    public init(store: any WeightModelStore, logger: Logger, interval: Duration = .seconds(2), batchSize: Int = 100) {
        self.store = store
        self.logger = logger
        self.interval = interval
        self.batchSize = batchSize
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await BatchPassLoop.run(batchSize: batchSize, interval: interval, logger: logger, failure: "calibration pass failed; retrying") {
                try await pass(now: .now())
            }
        }
    }

    /// One pass; returns how many session revisions it recorded.
    @discardableResult
    public func pass(now: Timestamp) async throws -> Int {
        let candidates = try await store.calibrationCandidates(limit: batchSize)
        for candidate in candidates {
            switch CalibrationRule.lesson(candidate) {
            case .failure(let refusal):
                _ = try await store.record(candidate, pair: nil, note: refusal.description, at: now)
                logger.info("weigh session not used for calibration", metadata: [
                    "tenant.id": "\(candidate.tenantID)", "session.id": "\(candidate.sessionID)", "station": "\(candidate.station)",
                    "reason": "\(refusal)",
                ])
            case .success(let pair):
                guard let pairs = try await store.record(candidate, pair: pair, note: nil, at: now),
                    let fitted = WeightCalibration.fit(pairs, version: candidate.station)
                else { continue }
                let model = try await store.add(StationModel(
                    tenantID: candidate.tenantID, station: candidate.station, a: fitted.a, b: fitted.b, sessions: fitted.sessions,
                    crossValidatedMAPE: fitted.crossValidatedMAPE, calibrated: fitted.calibrated, origin: .fit, createdAt: now))
                logger.info("station weight model refitted", metadata: [
                    "tenant.id": "\(model.tenantID)", "model.version": "\(model.versionName)", "model.a": "\(model.a)", "model.b": "\(model.b)",
                    "model.sessions": "\(model.sessions)", "model.cv_mape": "\(model.crossValidatedMAPE.map { "\($0)" } ?? "-")",
                    "model.calibrated": "\(model.calibrated)",
                ])
            }
        }
        return candidates.count
    }
}
