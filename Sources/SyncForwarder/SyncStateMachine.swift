import FarmIQCore

/// The forwarder's retry and response logic as a value type: it takes the outcome of each batch and returns
/// what to do, without I/O (tested on its own).
///
/// - delivered → commit (in order); a success after failures resets the backoff and reopens all lanes at once
///   (drain at full speed, no waiting out a long timer).
/// - retryable → resend the whole batch after `max(Retry-After, full-jitter backoff)`; while failing, one batch
///   at a time probes the link.
/// - unauthorized → stop sending, alert, probe again after the slow interval.
public struct SyncStateMachine: Sendable {
    public enum Mode: String, Sendable, Equatable {
        case sending
        case backingOff = "backoff"
        case unauthorized
    }

    public enum Action: Sendable, Equatable {
        /// Mark the batch delivered (dead-letter its rejections) when the batches before it are.
        case commit(rejected: [String: String])
        /// Put the batch back; send nothing before `after` has passed.
        case retry(after: Duration, reason: String)
        /// Credentials refused: send nothing before `after`, then probe with this batch.
        case suspend(after: Duration, status: Int)
    }

    public let batchesInFlight: Int
    public let maximumRetryAfter: Duration
    public let unauthorizedRetryInterval: Duration
    public private(set) var backoff: RetryBackoff
    public private(set) var mode: Mode = .sending
    public private(set) var consecutiveFailures = 0

    public init(batchesInFlight: Int, backoffBase: Duration, backoffCap: Duration, maximumRetryAfter: Duration, unauthorizedRetryInterval: Duration) {
        self.batchesInFlight = batchesInFlight
        self.backoff = RetryBackoff(base: backoffBase, cap: backoffCap)
        self.maximumRetryAfter = maximumRetryAfter
        self.unauthorizedRetryInterval = unauthorizedRetryInterval
    }

    /// How many batches may be in flight now: all lanes while sending, one probe otherwise.
    public var allowedInFlight: Int { mode == .sending ? batchesInFlight : 1 }

    public mutating func received<G: RandomNumberGenerator>(_ outcome: CloudOutcome, using generator: inout G) -> Action {
        switch outcome {
        case .delivered(_, _, let rejected):
            mode = .sending
            consecutiveFailures = 0
            backoff.reset()
            return .commit(rejected: rejected)
        case .retryable(let reason, let retryAfter):
            mode = .backingOff
            consecutiveFailures += 1
            var wait = backoff.next(using: &generator)
            if let retryAfter {
                let honoured = min(retryAfter, maximumRetryAfter)
                if honoured > wait { wait = honoured }
            }
            return .retry(after: wait, reason: reason)
        case .unauthorized(let status):
            mode = .unauthorized
            consecutiveFailures += 1
            return .suspend(after: unauthorizedRetryInterval, status: status)
        }
    }

    public mutating func received(_ outcome: CloudOutcome) -> Action {
        var generator = SystemRandomNumberGenerator()
        return received(outcome, using: &generator)
    }
}
