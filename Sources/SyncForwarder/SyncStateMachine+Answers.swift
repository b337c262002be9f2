import FarmIQCore
import FarmIQStorage

/// How ``SyncStateMachine`` takes the cloud's answer to a batch or a proof probe (the rules in its documentation).
extension SyncStateMachine {
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
