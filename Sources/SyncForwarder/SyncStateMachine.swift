import FarmIQCore
import FarmIQStorage

/// The sync forwarder's whole protocol as a value type, without I/O: the window of batches read after the
/// durable cursor, the lanes in flight, backoff and pacing, splitting refused batches, parking events refused
/// alone, the contiguous-prefix commit, lease loss and graceful stop (`contracts.md` §4).
///
/// ``SyncForwarder`` asks ``nextAction(now:leaseUntil:)`` what to do, performs it, and reports the result
/// (``readFinished(_:now:)``, ``sendFinished(_:outcome:now:using:)``, ``commitFinished(_:now:)``). Time comes in
/// as arguments, so tests drive every path with made-up instants.
///
/// The rules:
/// - `200`: the batch is answered; its `rejected` events are parked with the commit. The first success after
///   failures resets the backoff and reopens all lanes.
/// - `408`, `429`, `5xx`, connection errors, timeouts: the same batch again after `max(Retry-After, full-jitter
///   backoff)`, one probe at a time. A batch of more than `splitTimeoutMinimumBytes` that times out
///   `splitAfterTimeouts` times in a row is split (a slow uplink must not re-upload the same bytes forever).
/// - `401`/`403`: stop, alert, probe again after `unauthorizedRetryInterval`.
/// - Any other `4xx` (`413`, `400`, `422`, …) for a batch of two or more events: split in halves, resent at once.
///   An event the cloud refuses alone is a *suspect*: it is parked (dead letter, reason = status and the first
///   bytes of the answer) as soon as the cloud answers `200` to a request sent after that refusal, which proves
///   the endpoint works. When nothing else is left to send, that request is a probe: one event of the window the
///   cloud already took, sent again alone (it answers `duplicate`); the probe refused too means the endpoint. Two events refused alone with no `200` in between, or a `404`/`405` with an empty body,
///   mean the endpoint refuses, not the events: nothing is parked, every suspect is queued again, the forwarder
///   backs off (state `refused`, alerted). A suspect with nothing else to send is asked again after the backoff.
public struct SyncStateMachine: Sendable {
    public typealias Instant = ContinuousClock.Instant

    public enum Mode: String, Sendable, Equatable {
        case sending
        case backingOff = "backoff"
        case unauthorized
        /// The cloud refuses the endpoint (or every event alone): nothing is parked.
        case refused
    }

    public enum Action: Sendable, Equatable {
        /// Read at most `limit` finished outbox rows after `after`, then call ``readFinished(_:now:)``.
        case read(after: OutboxCursor, limit: Int)
        /// POST the batch; report its outcome with ``sendFinished(_:outcome:now:using:)``.
        case send(SyncBatch)
        /// Commit the answered prefix; report with ``commitFinished(_:now:)``.
        case commit(SyncCommit)
        /// Wait for a send to finish, or until the instant, whichever comes first.
        case wait(until: Instant)
        /// Leave the send loop: the lease is lost, or the stop is complete (or its grace ran out: cancel what is
        /// still in flight; the cloud dedupes what is sent again).
        case exit
    }

    /// What an answer led to, for logs and metrics.
    public enum Decision: Sendable, Equatable {
        /// `200`; `parked` suspects were proven refused by it.
        case delivered(parked: Int)
        case retry(after: Duration, reason: String)
        /// The batch was refused or kept timing out: split in two.
        case split(reason: String)
        /// An event refused alone, parked once a later request is answered `200`.
        case suspect(eventID: String, reason: String)
        case endpointRefused(after: Duration, reason: String)
        case suspended(after: Duration, status: Int)
        /// An answer for a batch no longer in the window (after lease loss): nothing to do.
        case ignored
    }

    public enum CommitResult: Sendable, Equatable { case committed, leaseLost, failed }

    struct Entry: Sendable, Equatable {
        enum State: Sendable, Equatable {
            case queued
            case inFlight(sentAt: Instant)
            case answered(rejected: [String: String])
            case suspect(reason: String, refusedAt: Instant)
        }

        var batch: SyncBatch
        var state: State = .queued
        var timeouts = 0

        var isSuspect: Bool { if case .suspect = state { true } else { false } }
    }

    public let settings: SyncSettings
    public private(set) var mode: Mode = .sending
    public private(set) var backoff: RetryBackoff
    public private(set) var consecutiveFailures = 0
    /// Why the forwarder is not simply sending (the `detail` of `sync_state`).
    public private(set) var detail: String?
    /// The read failed (database); cleared by the next successful read.
    public private(set) var readError: String?
    private(set) var window: [Entry] = []
    private(set) var readPosition: OutboxCursor
    private(set) var inFlight = 0
    private var nextID = 0
    private var readNotBefore: Instant
    private var sendNotBefore: Instant
    private var commitNotBefore: Instant
    private var commitPending: Int?
    private var suspectRetryAt: Instant?
    /// A proof probe in flight: one already answered event sent again (the cloud answers `duplicate`).
    private var probe: (id: Int, sentAt: Instant)?
    private var stopDeadline: Instant?
    private var lost = false

    public init(settings: SyncSettings, cursor: OutboxCursor, now: Instant) {
        self.settings = settings
        self.backoff = RetryBackoff(base: settings.backoffBase, cap: settings.backoffCap)
        self.readPosition = cursor
        self.readNotBefore = now
        self.sendNotBefore = now
        self.commitNotBefore = now
    }

    /// How many batches may be in flight now: all lanes while sending, one probe otherwise.
    public var allowedInFlight: Int { mode == .sending ? settings.batchesInFlight : 1 }
    /// Batches in the window (read, not yet committed).
    public var windowCount: Int { window.count }
    public var isStopping: Bool { stopDeadline != nil }
    /// Events refused alone and not yet proven to be the event's fault.
    public var suspects: Int { window.count { $0.isSuspect } }

    /// The state to report (`farmiq_sync_state`, `sync_state`): `sending`, `idle`, `backoff`, `unauthorized`,
    /// `refused` or `error`, with its detail.
    public var status: (state: String, detail: String?) {
        if let readError { return ("error", "database: \(readError)") }
        switch mode {
        case .sending:
            if window.isEmpty && inFlight == 0 { return ("idle", nil) }
            if inFlight == 0, !window.isEmpty, window.allSatisfy({ $0.isSuspect || $0.state != .queued }), suspects > 0 {
                return ("refused", detail)
            }
            return ("sending", nil)
        case .backingOff, .unauthorized, .refused:
            return (mode.rawValue, detail)
        }
    }

    // MARK: Decide

    public mutating func nextAction(now: Instant, leaseUntil: Instant) -> Action {
        if lost { return .exit }
        if commitPending == nil, now >= commitNotBefore, let commit = answeredPrefix() {
            commitPending = commit.batches
            return .commit(commit)
        }
        if let stopDeadline {
            let committable = commitPending != nil || answeredPrefix() != nil
            if now >= stopDeadline || (inFlight == 0 && !committable) { return .exit }
            return .wait(until: min(stopDeadline, max(commitNotBefore, now.advanced(by: .milliseconds(5)))))
        }
        if inFlight < allowedInFlight, now >= sendNotBefore, now.duration(to: leaseUntil) > settings.minimumLease {
            if let index = window.firstIndex(where: { $0.state == .queued }) {
                return start(index, now: now)
            }
            if window.count < settings.maximumWindow, now >= readNotBefore {
                return .read(after: readPosition, limit: settings.batchSize)
            }
            if inFlight == 0, probe == nil, suspects > 0, let row = answeredRow() {
                // Suspects wait for a 200 to a request sent after their refusal, and nothing else is left to send:
                // ask the cloud about an event it already took (it answers `duplicate`, harmless).
                let batch = SyncBatch(id: nextID, rows: [row])
                nextID += 1
                probe = (batch.id, now)
                inFlight += 1
                return .send(batch)
            }
            if inFlight == 0, let retryAt = suspectRetryAt, now >= retryAt, let index = window.firstIndex(where: \.isSuspect) {
                // Nothing else to tell the event from the endpoint: ask again about the suspect itself.
                suspectRetryAt = nil
                return start(index, now: now)
            }
        }
        return .wait(until: wakeTime(now: now))
    }

    private mutating func start(_ index: Int, now: Instant) -> Action {
        window[index].state = .inFlight(sentAt: now)
        inFlight += 1
        return .send(window[index].batch)
    }

    /// The earliest instant at which something may change without an answer, at most one poll interval ahead.
    private func wakeTime(now: Instant) -> Instant {
        var wake = now.advanced(by: settings.pollInterval)
        for candidate in [sendNotBefore, readNotBefore, commitNotBefore, suspectRetryAt ?? wake] where candidate > now {
            wake = min(wake, candidate)
        }
        return max(wake, now.advanced(by: .milliseconds(1)))
    }

    /// The first row of an answered batch in the window (behind a suspect, so not yet committed).
    private func answeredRow() -> OutboxRow? {
        for entry in window {
            if case .answered = entry.state, let row = entry.batch.rows.first { return row }
        }
        return nil
    }

    /// The contiguous answered prefix of the window, as one commit.
    private func answeredPrefix() -> SyncCommit? {
        var batches = 0
        var events = 0
        var rejections: [OutboxRejection] = []
        var tenants = Set<String>()
        while batches < window.count, case .answered(let rejected) = window[batches].state {
            for row in window[batches].batch.rows {
                tenants.insert(row.tenantID)
                if let reason = rejected[row.eventID] { rejections.append(OutboxRejection(row: row, reason: reason)) }
            }
            events += window[batches].batch.rows.count
            batches += 1
        }
        guard batches > 0, let through = window[batches - 1].batch.rows.last?.position else { return nil }
        return SyncCommit(through: through, batches: batches, events: events, rejections: rejections, tenants: tenants)
    }

    // MARK: Results of I/O

    public mutating func readFinished(_ rows: [OutboxRow], now: Instant) {
        readError = nil
        if rows.count < settings.batchSize { readNotBefore = now.advanced(by: settings.pollInterval) }
        guard let last = rows.last else { return }
        readPosition = last.position
        for batch in SyncBatch.cut(rows, maxBytes: settings.maxBatchBytes, nextID: &nextID) {
            window.append(Entry(batch: batch))
        }
    }

    public mutating func readFailed(_ reason: String, now: Instant) {
        readError = String(reason.prefix(200))
        readNotBefore = now.advanced(by: .seconds(1))
    }

    public mutating func commitFinished(_ result: CommitResult, now: Instant) {
        guard let count = commitPending else { return }
        commitPending = nil
        switch result {
        case .committed: window.removeFirst(count)
        case .leaseLost: lost = true
        case .failed: commitNotBefore = now.advanced(by: .milliseconds(500))
        }
    }

    /// The lease is gone (taken by another replica, or lapsed): leave at once; nothing is committed.
    public mutating func leaseLost() { lost = true }

    /// Graceful stop: send and read nothing more; wait up to `stopGrace` for the answers of the batches in flight
    /// and commit every answered prefix, then exit.
    public mutating func stop(now: Instant) {
        if stopDeadline == nil { stopDeadline = now.advanced(by: settings.stopGrace) }
    }

    public mutating func sendFinished<G: RandomNumberGenerator>(
        _ batchID: Int, outcome: CloudOutcome, now: Instant, using generator: inout G
    ) -> Decision {
        if let probe, probe.id == batchID {
            return probeFinished(outcome, sentAt: probe.sentAt, now: now, using: &generator)
        }
        guard let index = window.firstIndex(where: { $0.batch.id == batchID }),
            case .inFlight(let sentAt) = window[index].state
        else { return .ignored }
        inFlight -= 1
        switch outcome {
        case .delivered(_, _, let rejected):
            window[index].state = .answered(rejected: rejected)
            return succeeded(sentAt: sentAt, now: now)

        case .retryable(let reason, let retryAfter):
            window[index].state = .queued
            let wait = fail(.backingOff, retryAfter: retryAfter, now: now, using: &generator)
            detail = "\(reason); retry in \(wait)"
            return .retry(after: wait, reason: reason)

        case .timedOut(let reason):
            window[index].timeouts += 1
            let wait = fail(.backingOff, retryAfter: nil, now: now, using: &generator)
            let entry = window[index]
            if entry.timeouts >= settings.splitAfterTimeouts, entry.batch.rows.count > 1, entry.batch.bytes >= settings.splitTimeoutMinimumBytes {
                split(index)
                detail = "\(reason) \(entry.timeouts) times; split, retry in \(wait)"
                return .split(reason: "\(reason) \(entry.timeouts) times in a row")
            }
            window[index].state = .queued
            detail = "\(reason); retry in \(wait)"
            return .retry(after: wait, reason: reason)

        case .unauthorized(let status):
            window[index].state = .queued
            return suspend(status: status, now: now)

        case .refused(_, let reason, let endpoint):
            if endpoint {
                return refuseEndpoint(index, reason: reason, now: now, using: &generator)
            }
            if window[index].batch.rows.count > 1 {
                split(index)
                return .split(reason: reason)
            }
            if window.indices.contains(where: { $0 != index && window[$0].isSuspect }) {
                return refuseEndpoint(index, reason: "\(reason) (a second event refused alone)", now: now, using: &generator)
            }
            let event = window[index].batch.rows[0].eventID
            window[index].state = .suspect(reason: reason, refusedAt: now)
            // Asked again only when nothing else can tell event from endpoint, after a growing wait.
            let wait = backoff.next(using: &generator)
            suspectRetryAt = now.advanced(by: wait)
            detail = "cloud refuses event \(event) alone (\(reason)); parked once another request is accepted, asked again in \(wait)"
            return .suspect(eventID: event, reason: reason)
        }
    }

    public mutating func sendFinished(_ batchID: Int, outcome: CloudOutcome, now: Instant) -> Decision {
        var generator = SystemRandomNumberGenerator()
        return sendFinished(batchID, outcome: outcome, now: now, using: &generator)
    }

    /// The answer to a proof probe: a `200` parks the suspects refused before it was sent; a refusal means the
    /// endpoint; anything else is a failure like any other (the probe is asked again after the backoff).
    private mutating func probeFinished<G: RandomNumberGenerator>(
        _ outcome: CloudOutcome, sentAt: Instant, now: Instant, using generator: inout G
    ) -> Decision {
        probe = nil
        inFlight -= 1
        switch outcome {
        case .delivered:
            return succeeded(sentAt: sentAt, now: now)
        case .refused(_, let reason, _):
            for i in window.indices where window[i].isSuspect { window[i].state = .queued }
            suspectRetryAt = nil
            let wait = fail(.refused, retryAfter: nil, now: now, using: &generator)
            detail = "the cloud refuses the endpoint: \(reason) (also for an event it had taken); nothing parked, retry in \(wait)"
            return .endpointRefused(after: wait, reason: reason)
        case .retryable(let reason, let retryAfter):
            let wait = fail(.backingOff, retryAfter: retryAfter, now: now, using: &generator)
            detail = "\(reason); retry in \(wait)"
            return .retry(after: wait, reason: reason)
        case .timedOut(let reason):
            let wait = fail(.backingOff, retryAfter: nil, now: now, using: &generator)
            detail = "\(reason); retry in \(wait)"
            return .retry(after: wait, reason: reason)
        case .unauthorized(let status):
            return suspend(status: status, now: now)
        }
    }

    // MARK: Helpers

    /// A `200`: back to full speed, and the suspects refused before this request was sent are parked.
    private mutating func succeeded(sentAt: Instant, now: Instant) -> Decision {
        mode = .sending
        consecutiveFailures = 0
        backoff.reset()
        sendNotBefore = now
        suspectRetryAt = nil
        detail = nil
        return .delivered(parked: parkSuspects(refusedBefore: sentAt))
    }

    /// `401`/`403`: send nothing before the slow probe interval.
    private mutating func suspend(status: Int, now: Instant) -> Decision {
        mode = .unauthorized
        consecutiveFailures += 1
        sendNotBefore = max(sendNotBefore, now.advanced(by: settings.unauthorizedRetryInterval))
        detail = "cloud answered \(status); retry in \(settings.unauthorizedRetryInterval)"
        return .suspended(after: settings.unauthorizedRetryInterval, status: status)
    }

    /// Enters a failure mode; returns the wait before the next send (`Retry-After` honoured up to its maximum).
    private mutating func fail<G: RandomNumberGenerator>(_ newMode: Mode, retryAfter: Duration?, now: Instant, using generator: inout G) -> Duration {
        mode = newMode
        consecutiveFailures += 1
        var wait = backoff.next(using: &generator)
        if let retryAfter {
            let honoured = min(retryAfter, settings.maximumRetryAfter)
            if honoured > wait { wait = honoured }
        }
        sendNotBefore = max(sendNotBefore, now.advanced(by: wait))
        return wait
    }

    private mutating func refuseEndpoint<G: RandomNumberGenerator>(
        _ index: Int, reason: String, now: Instant, using generator: inout G
    ) -> Decision {
        window[index].state = .queued
        for i in window.indices where window[i].isSuspect { window[i].state = .queued }
        suspectRetryAt = nil
        let wait = fail(.refused, retryAfter: nil, now: now, using: &generator)
        detail = "the cloud refuses the endpoint: \(reason); nothing parked, retry in \(wait)"
        return .endpointRefused(after: wait, reason: reason)
    }

    private mutating func split(_ index: Int) {
        let (first, second) = window[index].batch.halves(nextID: &nextID)
        window.replaceSubrange(index...index, with: [Entry(batch: first), Entry(batch: second)])
    }

    /// Suspects refused before `instant` are the events' fault: they become answered with their reason.
    private mutating func parkSuspects(refusedBefore instant: Instant) -> Int {
        var parked = 0
        for i in window.indices {
            guard case .suspect(let reason, let refusedAt) = window[i].state, refusedAt <= instant else { continue }
            window[i].state = .answered(rejected: [window[i].batch.rows[0].eventID: reason])
            parked += 1
        }
        return parked
    }
}
