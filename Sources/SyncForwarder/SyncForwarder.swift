import AsyncHTTPClient
import FarmIQCore
import FarmIQStorage
import MediaAccess
import Foundation
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// edge-sync-forwarder: the only path to the cloud (`contracts.md` §4).
///
/// Holds the outbox stream's lease (two replicas on one PostgreSQL: one sends, the other stands by) and runs
/// ``SyncStateMachine``: this type only performs its actions (read rows, POST a batch with gzip, commit the
/// answered prefix in one transaction with the dead letters and `sync_state`, wait) and hands the results back.
/// An unset cloud URL means paused.
///
/// Graceful shutdown (SIGTERM) sends nothing new, waits up to `stopGrace` for the answers of the batches in
/// flight, commits what the cloud answered, then gives the lease up. Cancellation (or `kill -9`) abandons the
/// batches in flight; whoever holds the lease next sends them again and the cloud dedupes.
public final class SyncForwarder: Service, Sendable {
    public let configuration: SyncForwarderConfiguration
    let store: any OutboxStore
    let client: HTTPClient
    let logger: Logger
    let metrics: SyncMetrics
    /// Where image bytes come from, when this process uploads media (`nil`: events only).
    let media: (store: any MediaObjectStore, source: MediaSource)?

    /// `client` should carry ``httpClientConfiguration(_:)``'s timeouts, so a slow upload that makes progress
    /// is not cut off.
    public init(configuration: SyncForwarderConfiguration, store: any OutboxStore, httpClient: HTTPClient,
                registry: PrometheusCollectorRegistry, logger: Logger, media: (store: any MediaObjectStore, source: MediaSource)? = nil) {
        self.media = media
        self.configuration = configuration
        self.store = store
        self.client = httpClient
        self.logger = logger
        self.metrics = SyncMetrics(registry: registry)
    }

    /// An HTTP client configuration whose connect and write timeouts are `requestTimeout`: each bounds a time
    /// without progress, not the whole request. There is no idle read timeout: the kernel's send buffer takes
    /// megabytes at once, so the client may wait for the answer while the body still trickles up a slow link;
    /// the per-request deadline (`requestTimeout` + body size at `minimumUplinkBytesPerSecond`) bounds that wait.
    public static func httpClientConfiguration(_ configuration: SyncForwarderConfiguration) -> HTTPClient.Configuration {
        var http = HTTPClient.Configuration()
        let timeout = TimeAmount.nanoseconds(configuration.requestTimeout.nanoseconds)
        http.timeout = .init(connect: timeout, read: nil, write: timeout)
        return http
    }

    public func run() async throws {
        guard let url = configuration.eventsURL else {
            metrics.setState("paused")
            try? await store.setForwarderState("paused", detail: "FARMIQ_CLOUD_URL is unset")
            logger.info("sync paused: no cloud URL")
            await cancelWhenGracefulShutdown {
                while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
            }
            return
        }
        logger.info("sync forwarder started", metadata: ["sync.url": "\(url)", "sync.owner": "\(configuration.ownerID)"])
        let stopping = LockedValue(false)
        await withGracefulShutdownHandler {
            await self.runActive(url: url, stopping: stopping)
        } onGracefulShutdown: {
            stopping.withLock { $0 = true }
        }
        if configuration.releaseLeaseOnStop {
            try? await store.releaseLease(stream: OutboxStream.cloud, owner: configuration.ownerID)
        }
    }

    private func runActive(url: String, stopping: LockedValue<Bool>) async {
        let clock = ContinuousClock()
        var reporter = SyncStateReporter(metrics: metrics, store: store)
        while !Task.isCancelled && !stopping.withLock({ $0 }) {
            let started = clock.now
            let lease: OutboxLease?
            do {
                lease = try await store.acquireLease(
                    stream: OutboxStream.cloud, owner: configuration.ownerID, durationMilliseconds: configuration.leaseDuration.milliseconds)
            } catch {
                await reporter.report("error", detail: "database: \(String(describing: error).prefix(200))")
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            guard let lease else {
                await reporter.report("standby", detail: "another replica holds the lease")
                try? await Task.sleep(for: configuration.leaseRenewInterval)
                continue
            }
            logger.info("sync lease taken", metadata: ["sync.owner": "\(configuration.ownerID)", "sync.cursor": "\(lease.cursor)"])
            let keeper = LeaseKeeper(validUntil: started.advanced(by: configuration.leaseDuration))
            let stopped = await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.renewLease(keeper) }
                group.addTask { await self.purgeDelivered() }
                if let uploader = self.mediaUploader(url: url) { group.addTask { await uploader.run(keeper: keeper) } }
                let stopped = await self.pump(url: url, from: lease.cursor, keeper: keeper, stopping: stopping, reporter: &reporter)
                group.cancelAll()
                return stopped
            }
            if stopped { return }
            if !Task.isCancelled {
                logger.warning("sync lease lost", metadata: ["sync.owner": "\(configuration.ownerID)"])
            }
        }
    }

    /// The media uploader of this process, when it has the media volume.
    private func mediaUploader(url: String) -> MediaUploader? {
        guard let media, let cloudURL = configuration.cloudURL else { return nil }
        return MediaUploader(
            store: media.store, source: media.source, cloudURL: cloudURL, token: configuration.token, client: client,
            settings: .init(
                concurrency: configuration.batchesInFlight, backoffBase: configuration.backoffBase, backoffCap: configuration.backoffCap,
                maximumRetryAfter: configuration.maximumRetryAfter, unauthorizedRetryInterval: configuration.unauthorizedRetryInterval),
            requestTimeout: configuration.requestTimeout, minimumUplinkBytesPerSecond: configuration.minimumUplinkBytesPerSecond,
            pauseAfterAccept: configuration.pauseAfterAccept, metrics: metrics, logger: logger)
    }

    /// Renews the lease every `leaseRenewInterval` (sooner when little of it is left, e.g. after a slow take);
    /// marks it lost when another owner took it.
    private func renewLease(_ keeper: LeaseKeeper) async {
        let clock = ContinuousClock()
        while !Task.isCancelled {
            let left = clock.now.duration(to: keeper.validUntil)
            try? await Task.sleep(for: max(.milliseconds(50), min(configuration.leaseRenewInterval, left / 3)))
            if Task.isCancelled { return }
            let started = clock.now
            do {
                if try await store.acquireLease(
                    stream: OutboxStream.cloud, owner: configuration.ownerID, durationMilliseconds: configuration.leaseDuration.milliseconds) != nil {
                    keeper.extend(to: started.advanced(by: configuration.leaseDuration))
                } else {
                    keeper.lose()
                    return
                }
            } catch {
                logger.warning("sync lease renewal failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Deletes delivered rows past the retention window, in bulk, while this replica holds the lease.
    private func purgeDelivered() async {
        while !Task.isCancelled {
            do {
                let cutoff = Timestamp.now().adding(milliseconds: -configuration.deliveredRetention.milliseconds)
                let purged = try await store.purgeDelivered(stream: OutboxStream.cloud, olderThan: cutoff, chunkSize: configuration.purgeChunkSize)
                if purged > 0 { logger.info("purged delivered outbox rows", metadata: ["sync.purged": "\(purged)"]) }
            } catch {
                logger.warning("outbox purge failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: configuration.purgeInterval)
        }
    }

    enum PumpEvent: Sendable {
        case sent(batch: Int, outcome: CloudOutcome, latency: Duration)
        case timer(ContinuousClock.Instant)
    }

    /// Performs the state machine's actions while this replica holds the lease. Returns true after a graceful
    /// stop, false when the lease was lost or the task cancelled.
    private func pump(
        url: String, from cursor: OutboxCursor, keeper: LeaseKeeper, stopping: LockedValue<Bool>, reporter: inout SyncStateReporter
    ) async -> Bool {
        let clock = ContinuousClock()
        var machine = SyncStateMachine(settings: configuration.settings, cursor: cursor, now: clock.now)
        var random = SystemRandomNumberGenerator()
        return await withTaskGroup(of: PumpEvent.self) { group in
            var timer: ContinuousClock.Instant?
            while true {
                if Task.isCancelled || keeper.isLost { machine.leaseLost() }
                if !machine.isStopping && stopping.withLock({ $0 }) {
                    machine.stop(now: clock.now)
                    logger.info("sync forwarder stopping: waiting for the answers of batches in flight", metadata: ["sync.grace": "\(configuration.stopGrace)"])
                }
                let status = machine.status
                await reporter.report(status.state, detail: status.detail)
                switch machine.nextAction(now: clock.now, leaseUntil: keeper.validUntil) {
                case .exit:
                    group.cancelAll()
                    return machine.isStopping && !Task.isCancelled && !keeper.isLost
                case .read(let after, let limit):
                    do {
                        machine.readFinished(try await store.read(after: after, limit: limit), now: clock.now)
                    } catch {
                        machine.readFailed(String(describing: error), now: clock.now)
                    }
                case .send(let batch):
                    group.addTask { await self.send(batch, url: url) }
                case .commit(let commit):
                    machine.commitFinished(await self.commit(commit), now: clock.now)
                case .wait(let until):
                    if timer.map({ until < $0 }) ?? true {
                        timer = until
                        group.addTask {
                            try? await Task.sleep(until: until, clock: clock)
                            return .timer(until)
                        }
                    }
                    switch await group.next() {
                    case .timer(let at)?:
                        if timer == at { timer = nil }
                    case .sent(let batch, let outcome, let latency)?:
                        metrics.batchLatency.record(latency.seconds)
                        if case .delivered(let accepted, let duplicates, _) = outcome {
                            metrics.accepted.increment(by: Int64(accepted))
                            metrics.duplicates.increment(by: Int64(duplicates))
                        }
                        let rows = machine.window.first { $0.batch.id == batch }?.batch
                        let decision = machine.sendFinished(batch, outcome: outcome, now: clock.now, using: &random)
                        record(decision, batch: rows)
                    case nil:
                        break
                    }
                }
            }
        }
    }

    /// Logs and counts what an answer led to.
    private func record(_ decision: SyncStateMachine.Decision, batch: SyncBatch?) {
        let id: Logger.MetadataValue = "\(batch?.batchID ?? "-")"
        switch decision {
        case .delivered, .ignored:
            break
        case .retry(let after, let reason):
            metrics.retried.increment(by: Int64(batch?.rows.count ?? 0))
            logger.warning("sync batch failed, retrying", metadata: ["sync.batch_id": id, "error": "\(reason)", "sync.retry_in": "\(after)"])
        case .split(let reason):
            metrics.splits.increment()
            logger.warning("cloud refused a batch; split in two", metadata: [
                "sync.batch_id": id, "sync.events": "\(batch?.rows.count ?? 0)", "sync.bytes": "\(batch?.bytes ?? 0)", "sync.reason": "\(reason)"])
        case .suspect(let eventID, let reason):
            logger.warning("cloud refused one event alone; parked once another request is accepted", metadata: [
                "event.id": "\(eventID)", "sync.reason": "\(reason)"])
        case .endpointRefused(let after, let reason):
            metrics.endpointRefusals.increment()
            logger.error("cloud refuses the endpoint, not an event: nothing parked, backing off", metadata: [
                "sync.reason": "\(reason)", "sync.retry_in": "\(after)"])
        case .suspended(_, let status):
            logger.error("cloud refused the edge's credentials", metadata: ["http.status": "\(status)"])
        }
    }

    /// Commits one answered prefix in one transaction.
    private func commit(_ commit: SyncCommit) async -> SyncStateMachine.CommitResult {
        let now = Timestamp.now()
        do {
            guard try await store.commit(OutboxDelivery(
                owner: configuration.ownerID, through: commit.through, rejections: commit.rejections, tenants: commit.tenants,
                deliveredAt: now, state: "sending", detail: nil)) else {
                return .leaseLost
            }
        } catch {
            logger.warning("sync commit failed, will retry", metadata: ["error": "\(error)"])
            return .failed
        }
        for tenant in commit.tenants { metrics.lastSuccess(tenant: tenant, at: now.secondsSinceEpoch) }
        metrics.rejected.increment(by: Int64(commit.rejections.count))
        for rejection in commit.rejections {
            logger.warning("cloud rejected an event; parked", metadata: [
                "event.id": "\(rejection.row.eventID)", "tenant.id": "\(rejection.row.tenantID)", "sync.reason": "\(rejection.reason)"])
        }
        return .committed
    }

    /// One POST of a batch; never throws: failures are outcomes. The whole request may take `requestTimeout`
    /// plus the body's bytes at `minimumUplinkBytesPerSecond`; the client's timeouts catch a stall sooner.
    private func send(_ batch: SyncBatch, url: String) async -> PumpEvent {
        let clock = ContinuousClock()
        let started = clock.now
        var outcome: CloudOutcome
        do {
            var body = BatchEncoder.json(edgeID: configuration.edgeID, batchID: batch.batchID, rows: batch.rows)
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            if configuration.gzip {
                body = Gzip.compress(body)
                request.headers.add(name: "Content-Encoding", value: "gzip")
            }
            if let token = configuration.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            request.headers.add(name: "X-Batch-ID", value: batch.batchID)
            let size = body.count
            request.body = .bytes(ByteBuffer(bytes: body))
            let deadline = configuration.requestTimeout + .seconds(Double(size) / Double(configuration.minimumUplinkBytesPerSecond))
            let response = try await client.execute(request, timeout: .nanoseconds(deadline.nanoseconds), logger: logger)
            let bytes = try await response.body.collect(upTo: 16 << 20)
            outcome = CloudResponse.classify(
                status: Int(response.status.code), retryAfter: response.headers.first(name: "Retry-After"),
                body: Array(bytes.readableBytesView), eventIDs: batch.rows.map(\.eventID))
            if case .delivered = outcome, configuration.pauseAfterAccept > .zero {
                try? await Task.sleep(for: configuration.pauseAfterAccept)
            }
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .writeTimeout {
            outcome = .timedOut(reason: "\(error)")
        } catch {
            outcome = .retryable(reason: String(String(describing: error).prefix(200)), retryAfter: nil)
        }
        return .sent(batch: batch.id, outcome: outcome, latency: started.duration(to: clock.now))
    }
}
