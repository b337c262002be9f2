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
    public internal(set) var mode: Mode = .sending
    public internal(set) var backoff: RetryBackoff
    public internal(set) var consecutiveFailures = 0
    /// Why the forwarder is not simply sending (the `detail` of `sync_state`).
    public internal(set) var detail: String?
    /// The read failed (database); cleared by the next successful read.
    public internal(set) var readError: String?
    var window: [Entry] = []
    var readPosition: OutboxCursor
    var inFlight = 0
    var nextID = 0
    var readNotBefore: Instant
    var sendNotBefore: Instant
    var commitNotBefore: Instant
    var commitPending: Int?
    var suspectRetryAt: Instant?
    /// A proof probe in flight: one already answered event sent again (the cloud answers `duplicate`).
    var probe: (id: Int, sentAt: Instant)?
    var stopDeadline: Instant?
    var lost = false

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
}
