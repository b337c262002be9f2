import FarmIQCore
import FarmIQStorage
import Logging
import ServiceLifecycle

/// Deletes raw readings older than the retention period, but only those already synced to the
/// cloud: a farm offline for longer than the retention keeps its unsent data. Also prunes the event-id
/// register past its horizon (ids first received longer ago than the validator's horizon; a repeat of
/// one of them is rejected `too_old` by the validator, so pruning never lets an event in twice).
public struct RetentionService: Service {
    let store: any TelemetryStore
    let retention: Duration
    let eventIDs: (any IngressStore)?
    let eventIDHorizonMilliseconds: Int64
    let interval: Duration
    let logger: Logger

    public init(
        store: any TelemetryStore, retentionDays: Int, eventIDs: (any IngressStore)? = nil, eventIDHorizonMilliseconds: Int64 = .max,
        interval: Duration = .seconds(600), logger: Logger
    ) {
        self.store = store
        self.retention = .seconds(retentionDays * 86_400)
        self.eventIDs = eventIDs
        self.eventIDHorizonMilliseconds = eventIDHorizonMilliseconds
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await sweep()
            // Ends the wait at once on graceful shutdown (SIGTERM) as well as on cancellation.
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            } catch {
                return
            }
        }
    }

    /// One pass: deletes in chunks so a large backlog never holds a long write lock.
    public func sweep() async {
        let cutoff = Timestamp.now().adding(milliseconds: -Int64(retention.components.seconds) * 1000)
        do {
            let total = try await inChunks { try await store.deleteSyncedRaw(olderThan: cutoff, limit: $0) }
            if total > 0 {
                logger.info("retention deleted synced raw readings", metadata: ["rows": "\(total)", "cutoff": "\(cutoff)"])
            }
            if let eventIDs, eventIDHorizonMilliseconds < Int64.max / 2 {
                let horizon = Timestamp.now().adding(milliseconds: -eventIDHorizonMilliseconds)
                let pruned = try await inChunks { try await eventIDs.pruneEventIDs(seenBefore: horizon, limit: $0) }
                if pruned > 0 {
                    logger.info("event-id register pruned past its horizon", metadata: ["ids": "\(pruned)", "horizon": "\(horizon)"])
                }
            }
        } catch {
            logger.warning("retention sweep failed", metadata: ["error": "\(error)"])
        }
    }

    /// Runs `delete` with chunks of 5000 rows until a chunk comes back short (or shutdown); returns the total.
    private func inChunks(_ delete: (Int) async throws -> Int) async throws -> Int {
        let chunk = 5000
        var total = 0
        while true {
            let deleted = try await delete(chunk)
            total += deleted
            if deleted < chunk || Task.isShuttingDownGracefully { return total }
        }
    }
}
