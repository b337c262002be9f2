import FarmIQCore

/// The protocol of image uploads to the cloud (`contracts.md` §4: `PUT {cloud}/api/v1/edge/media/{tenant}/{media}`),
/// without I/O: which images may start, and what an answer means for the next ones. The I/O loop
/// (``MediaUploader``) asks ``capacity(now:)`` and ``excluded(now:)`` before reading pending images, reports
/// ``start(_:)`` and ``finished(_:outcome:now:using:)``, and sleeps until ``wake(now:idle:)``.
///
/// - `stored`: the cloud has the bytes (`200`/`201`); the backoff resets.
/// - `retryable` (`429`, `5xx`, `408`, timeouts, connection errors): nothing new starts until the backoff (full
///   jitter, `Retry-After` honoured up to its maximum) has passed; the image is tried again.
/// - `unauthorized` (`401`/`403`): nothing is sent for `unauthorizedRetryInterval`.
/// - `refused` (another `4xx`) and `unreadable` (the file is gone or no longer matches its SHA-256): that image
///   waits `refusedRetryInterval` while the others flow; it is never marked uploaded, so its file is never reclaimed.
struct MediaUploadStateMachine {
    struct Settings: Sendable {
        var concurrency: Int = 4
        var pollInterval: Duration = .seconds(2)
        var backoffBase: Duration = .milliseconds(500)
        var backoffCap: Duration = .seconds(30)
        var maximumRetryAfter: Duration = .seconds(300)
        var unauthorizedRetryInterval: Duration = .seconds(60)
        var refusedRetryInterval: Duration = .seconds(3600)
    }

    enum Outcome: Sendable, Equatable {
        case stored
        case retryable(reason: String, retryAfter: Duration?)
        case unauthorized(status: Int)
        case refused(status: Int, reason: String)
        case unreadable(reason: String)
    }

    let settings: Settings
    private(set) var inFlight: Set<String> = []
    private var parked: [String: ContinuousClock.Instant] = [:]
    private var notBefore: ContinuousClock.Instant
    private var backoff: RetryBackoff
    /// `401`/`403` seen and not yet followed by a success.
    private(set) var unauthorized = false

    init(settings: Settings, now: ContinuousClock.Instant) {
        self.settings = settings
        self.notBefore = now
        self.backoff = RetryBackoff(base: settings.backoffBase, cap: settings.backoffCap)
    }

    /// How many images may start now.
    func capacity(now: ContinuousClock.Instant) -> Int {
        now < notBefore ? 0 : max(0, settings.concurrency - inFlight.count)
    }

    /// Images not to read as pending: in flight, or parked after a refusal.
    mutating func excluded(now: ContinuousClock.Instant) -> Set<String> {
        parked = parked.filter { $0.value > now }
        return inFlight.union(parked.keys)
    }

    mutating func start(_ mediaID: String) {
        inFlight.insert(mediaID)
    }

    mutating func finished<G: RandomNumberGenerator>(
        _ mediaID: String, outcome: Outcome, now: ContinuousClock.Instant, using random: inout G
    ) {
        inFlight.remove(mediaID)
        switch outcome {
        case .stored:
            backoff.reset()
            unauthorized = false
        case .retryable(_, let retryAfter):
            var wait = backoff.next(using: &random)
            if let retryAfter { wait = max(wait, min(retryAfter, settings.maximumRetryAfter)) }
            notBefore = max(notBefore, now.advanced(by: wait))
        case .unauthorized:
            unauthorized = true
            notBefore = max(notBefore, now.advanced(by: settings.unauthorizedRetryInterval))
        case .refused, .unreadable:
            parked[mediaID] = now.advanced(by: settings.refusedRetryInterval)
        }
    }

    /// When to look again: after a backoff, or (nothing found to send) after the poll interval.
    func wake(now: ContinuousClock.Instant, idle: Bool) -> ContinuousClock.Instant {
        if now < notBefore { return notBefore }
        return now.advanced(by: idle ? settings.pollInterval : .milliseconds(50))
    }
}
