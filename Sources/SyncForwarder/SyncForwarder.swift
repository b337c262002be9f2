import AsyncHTTPClient
import FarmIQCore
import FarmIQStorage
import Foundation
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// edge-sync-forwarder: the only path to the cloud (`contracts.md` §4).
///
/// Holds the outbox stream's lease (two replicas on one PostgreSQL: one sends, the other stands by), reads
/// batches after the durable cursor, POSTs several at once (gzip), and commits in order: the cursor moves only
/// over the contiguous prefix of delivered batches, in one transaction with the dead letters and `sync_state`.
/// The response and retry logic is ``SyncStateMachine``. An unset cloud URL means paused.
///
/// Graceful shutdown cancels the in-flight requests (their batches are sent again by whoever holds the lease
/// next; the cloud dedupes) and gives the lease up.
public final class SyncForwarder: Service, Sendable {
    public let configuration: SyncForwarderConfiguration
    let store: any OutboxStore
    let client: HTTPClient
    let logger: Logger
    let metrics: SyncMetrics

    public init(configuration: SyncForwarderConfiguration, store: any OutboxStore, httpClient: HTTPClient,
                registry: PrometheusCollectorRegistry, logger: Logger) {
        self.configuration = configuration
        self.store = store
        self.client = httpClient
        self.logger = logger
        self.metrics = SyncMetrics(registry: registry)
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
        await cancelWhenGracefulShutdown { await self.runActive(url: url) }
        if configuration.releaseLeaseOnStop {
            try? await store.releaseLease(stream: OutboxStream.cloud, owner: configuration.ownerID)
        }
    }

    private func runActive(url: String) async {
        let clock = ContinuousClock()
        var reporter = StateReporter(forwarder: self)
        while !Task.isCancelled {
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
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.renewLease(keeper) }
                group.addTask { await self.purgeDelivered() }
                await self.pump(url: url, from: lease.cursor, keeper: keeper, reporter: &reporter)
                group.cancelAll()
            }
            if !Task.isCancelled {
                logger.warning("sync lease lost", metadata: ["sync.owner": "\(configuration.ownerID)"])
            }
        }
    }

    /// Renews the lease every `leaseRenewInterval`; marks it lost when another owner took it, or when it ran out
    /// while the database could not be reached.
    private func renewLease(_ keeper: LeaseKeeper) async {
        let clock = ContinuousClock()
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.leaseRenewInterval)
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
                if clock.now >= keeper.validUntil {
                    keeper.lose()
                    return
                }
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

    struct Slot: Sendable {
        let sequence: Int
        let batchID: String
        let rows: [OutboxRow]
        /// Set once the cloud answered `200`: the rejected events (id → reason).
        var rejected: [String: String]?
    }

    struct SendResult: Sendable {
        let sequence: Int
        let outcome: CloudOutcome
        let latency: Duration
    }

    /// The send loop while this replica holds the lease. Returns when the lease is lost or on cancellation.
    private func pump(url: String, from cursor: OutboxCursor, keeper: LeaseKeeper, reporter: inout StateReporter) async {
        let clock = ContinuousClock()
        var machine = SyncStateMachine(
            batchesInFlight: configuration.batchesInFlight, backoffBase: configuration.backoffBase, backoffCap: configuration.backoffCap,
            maximumRetryAfter: configuration.maximumRetryAfter, unauthorizedRetryInterval: configuration.unauthorizedRetryInterval)
        var window: [Slot] = []
        var retryQueue: [Int] = []
        var readPosition = cursor
        var nextSequence = 0
        var inFlight = 0
        var sendNotBefore = clock.now
        var readNotBefore = clock.now
        let maximumWindow = configuration.batchesInFlight * 4
        let minimumLease = Duration.milliseconds(500)

        await withTaskGroup(of: SendResult.self) { group in
            loop: while !Task.isCancelled && !keeper.isLost {
                // Commit the delivered prefix (also retried here after a database error).
                if window.first?.rejected != nil {
                    switch await commitPrefix(&window) {
                    case .committed, .nothing: break
                    case .leaseLost: keeper.lose(); break loop
                    case .failed: try? await Task.sleep(for: .milliseconds(500))
                    }
                }
                // Start sends while lanes are free, the backoff allows and the lease has time left.
                while inFlight < machine.allowedInFlight, clock.now >= sendNotBefore, keeper.validUntil - clock.now > minimumLease {
                    let slot: Slot
                    if !retryQueue.isEmpty {
                        let sequence = retryQueue.removeFirst()
                        guard let found = window.first(where: { $0.sequence == sequence }) else { continue }
                        slot = found
                    } else if window.count < maximumWindow, clock.now >= readNotBefore {
                        let rows: [OutboxRow]
                        do {
                            rows = try await store.read(after: readPosition, limit: configuration.batchSize)
                        } catch {
                            await reporter.report("error", detail: "database: \(String(describing: error).prefix(200))")
                            readNotBefore = clock.now.advanced(by: .seconds(1))
                            break
                        }
                        if rows.count < configuration.batchSize { readNotBefore = clock.now.advanced(by: configuration.pollInterval) }
                        guard let last = rows.last else { break }
                        readPosition = last.position
                        slot = Slot(sequence: nextSequence, batchID: UUID().uuidString.lowercased(), rows: rows, rejected: nil)
                        nextSequence += 1
                        window.append(slot)
                    } else {
                        break
                    }
                    let deadline = min(clock.now.advanced(by: configuration.requestTimeout), keeper.validUntil.advanced(by: .milliseconds(-200)))
                    group.addTask { await self.send(slot, url: url, deadline: deadline) }
                    inFlight += 1
                    if machine.mode == .sending { await reporter.report("sending", detail: nil) }
                }
                if inFlight == 0 {
                    if window.isEmpty && retryQueue.isEmpty && machine.mode == .sending {
                        await reporter.report("idle", detail: nil)
                    }
                    let wake = min(max(sendNotBefore, clock.now), clock.now.advanced(by: configuration.pollInterval))
                    try? await Task.sleep(until: max(wake, clock.now.advanced(by: .milliseconds(5))), clock: clock)
                    continue
                }
                guard let result = await group.next() else { continue }
                inFlight -= 1
                metrics.batchLatency.record(result.latency.seconds)
                guard let index = window.firstIndex(where: { $0.sequence == result.sequence }) else { continue }
                let action = machine.received(result.outcome)
                switch action {
                case .commit(let rejected):
                    if case .delivered(let accepted, let duplicates, _) = result.outcome {
                        metrics.accepted.increment(by: Int64(accepted))
                        metrics.duplicates.increment(by: Int64(duplicates))
                        metrics.rejected.increment(by: Int64(rejected.count))
                    }
                    window[index].rejected = rejected
                    // A success after an outage: drain at full speed.
                    sendNotBefore = clock.now
                case .retry(let after, let reason):
                    metrics.retried.increment(by: Int64(window[index].rows.count))
                    retryQueue.append(result.sequence)
                    retryQueue.sort()
                    sendNotBefore = max(sendNotBefore, clock.now.advanced(by: after))
                    await reporter.report("backoff", detail: "\(reason); retry in \(after)")
                    logger.warning("sync batch failed, retrying", metadata: [
                        "sync.batch_id": "\(window[index].batchID)", "error": "\(reason)", "sync.retry_in": "\(after)"])
                case .suspend(let after, let status):
                    retryQueue.append(result.sequence)
                    retryQueue.sort()
                    sendNotBefore = max(sendNotBefore, clock.now.advanced(by: after))
                    await reporter.report("unauthorized", detail: "cloud answered \(status); retry in \(after)")
                    logger.error("cloud refused the edge's credentials", metadata: ["http.status": "\(status)"])
                }
            }
            group.cancelAll()
        }
    }

    enum CommitResult { case nothing, committed, leaseLost, failed }

    /// Commits the contiguous delivered prefix of the window in one transaction.
    private func commitPrefix(_ window: inout [Slot]) async -> CommitResult {
        var count = 0
        var rejections: [OutboxRejection] = []
        var tenants = Set<String>()
        while count < window.count, let rejected = window[count].rejected {
            for row in window[count].rows {
                tenants.insert(row.tenantID)
                if let reason = rejected[row.eventID] { rejections.append(OutboxRejection(row: row, reason: reason)) }
            }
            count += 1
        }
        guard count > 0, let through = window[count - 1].rows.last?.position else { return .nothing }
        let now = Timestamp.now()
        do {
            guard try await store.commit(OutboxDelivery(
                owner: configuration.ownerID, through: through, rejections: rejections, tenants: tenants, deliveredAt: now,
                state: "sending", detail: nil)) else {
                return .leaseLost
            }
        } catch {
            logger.warning("sync commit failed, will retry", metadata: ["error": "\(error)"])
            return .failed
        }
        window.removeFirst(count)
        for tenant in tenants { metrics.lastSuccess(tenant: tenant, at: now.secondsSinceEpoch) }
        for rejection in rejections {
            logger.warning("cloud rejected an event; parked", metadata: [
                "event.id": "\(rejection.row.eventID)", "tenant.id": "\(rejection.row.tenantID)", "sync.reason": "\(rejection.reason)"])
        }
        return .committed
    }

    /// One POST of a batch; never throws: failures are outcomes.
    private func send(_ slot: Slot, url: String, deadline: ContinuousClock.Instant) async -> SendResult {
        let clock = ContinuousClock()
        let started = clock.now
        var outcome: CloudOutcome
        do {
            var body = BatchEncoder.json(edgeID: configuration.edgeID, batchID: slot.batchID, rows: slot.rows)
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            if configuration.gzip {
                body = try Gzip.compress(body)
                request.headers.add(name: "Content-Encoding", value: "gzip")
            }
            if let token = configuration.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            request.headers.add(name: "X-Batch-ID", value: slot.batchID)
            request.body = .bytes(ByteBuffer(bytes: body))
            let remaining = started.duration(to: deadline)
            guard remaining > .zero else { throw EdgeError(.upstreamUnavailable, "lease too short to send") }
            let response = try await client.execute(request, timeout: .nanoseconds(remaining.nanoseconds), logger: logger)
            let bytes = try await response.body.collect(upTo: 16 << 20)
            outcome = CloudResponse.classify(
                status: Int(response.status.code), retryAfter: response.headers.first(name: "Retry-After"),
                body: Array(bytes.readableBytesView), eventIDs: slot.rows.map(\.eventID))
            if case .delivered = outcome, configuration.pauseAfterAccept > .zero {
                try? await Task.sleep(for: configuration.pauseAfterAccept)
            }
        } catch {
            outcome = .retryable(reason: String(String(describing: error).prefix(200)), retryAfter: nil)
        }
        return SendResult(sequence: slot.sequence, outcome: outcome, latency: started.duration(to: clock.now))
    }
}

/// Reports the forwarder's state to the metrics and to `sync_state`, on changes only.
struct StateReporter {
    let forwarder: SyncForwarder
    var last: (String, String?)?

    init(forwarder: SyncForwarder) { self.forwarder = forwarder }

    mutating func report(_ state: String, detail: String?) async {
        if let last, last.0 == state, last.1 == detail { return }
        last = (state, detail)
        forwarder.metrics.setState(state)
        try? await forwarder.store.setForwarderState(state, detail: detail)
    }
}

/// The lease as this replica knows it: valid until a local instant computed from the start of the last
/// successful take/renew call (never later than the database's own `lease_until`).
final class LeaseKeeper: Sendable {
    private let state: LockedValue<(validUntil: ContinuousClock.Instant, lost: Bool)>

    init(validUntil: ContinuousClock.Instant) { state = LockedValue((validUntil, false)) }

    var validUntil: ContinuousClock.Instant { state.withLock { $0.lost ? ContinuousClock.now.advanced(by: .seconds(-1)) : $0.validUntil } }
    var isLost: Bool { state.withLock { $0.lost || ContinuousClock.now >= $0.validUntil.advanced(by: .seconds(5)) } }

    func extend(to instant: ContinuousClock.Instant) { state.withLock { if instant > $0.validUntil { $0.validUntil = instant } } }
    func lose() { state.withLock { $0.lost = true } }
}
