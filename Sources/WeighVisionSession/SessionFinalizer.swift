import FarmIQCore
import FarmIQStorage
import Logging
import ServiceLifecycle

/// The durable finalization pass of edge-weighvision-session (`contracts.md` §3a): every `interval` it finalizes
/// the sessions that are due, each in its own transaction with its `weighvision.session.finalized` outbox row.
/// Nothing is kept in memory: after `kill -9`, a session that was due is found due again and finalized once per
/// revision (the store refuses a finalization of a session that changed or was finalized meanwhile).
public struct SessionFinalizer: Service {
    let store: any WeighSessionStore
    let metrics: SessionMetrics
    let logger: Logger
    let interval: Duration
    let batchSize: Int
    /// What a session's images say (their count, and inference's counts and estimates); `nil`: nothing.
    let images: (@Sendable (_ tenantID: String, _ sessionID: String) async throws -> SessionImages)?

    public init(
        store: any WeighSessionStore, metrics: SessionMetrics, logger: Logger, interval: Duration = .seconds(1), batchSize: Int = 200,
        images: (@Sendable (_ tenantID: String, _ sessionID: String) async throws -> SessionImages)? = nil
    ) {
        self.images = images
        self.store = store
        self.metrics = metrics
        self.logger = logger
        self.interval = interval
        self.batchSize = batchSize
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await BatchPassLoop.run(batchSize: batchSize, interval: interval, logger: logger, failure: "session finalization failed; retrying") {
                try await pass(now: .now())
            }
        }
    }

    /// Finalizes what is due at `now`; returns how many were finalized.
    @discardableResult
    public func pass(now: Timestamp) async throws -> Int {
        var finalized = 0
        for session in try await store.dueSessions(now: now, limit: batchSize) {
            let found = try await images?(session.tenantID, session.sessionID) ?? .none
            guard let result = try await store.finalize(session, images: found, eventID: EventID.v7(), at: now) else { continue }
            finalized += 1
            metrics.finalized(status: result.status.rawValue)
            logger.info("weigh session finalized", metadata: [
                "tenant.id": "\(session.tenantID)", "session.id": "\(session.sessionID)", "session.revision": "\(result.revision)",
                "session.status": "\(result.status.rawValue)", "session.weight_kg": "\(result.scale.weightKg.map { "\($0)" } ?? "-")",
                "session.anomalies": "\(result.anomalies.joined(separator: ","))",
            ])
        }
        return finalized
    }
}
