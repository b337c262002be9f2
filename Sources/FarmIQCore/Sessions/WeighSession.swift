/// One weigh session as `weight_sessions` keeps it, and its lifecycle (`contracts.md` §3a) as a value type:
/// ``apply(_:grace:timeout:)`` folds in one new event (the event-id register has removed duplicates), in any
/// order; ``SessionFinalization/init(session:readings:images:)`` closes one revision.
///
/// Times: `occurred_at` (the device's clock) gives `started_at`/`ended_at`; receipt times (the edge's clock)
/// decide when the session is due, so a device with a wrong clock cannot hold a session open or close it early.
public struct WeighSession: Sendable, Equatable {
    /// The session's `status`; the raw value is its text in `weight_sessions` and the payload.
    public enum Status: String, Sendable, Equatable {
        /// Events are still expected (`revision` 0), or a late event reopened it until its grace period ends.
        case open
        /// Finalized after an `ended` event with reason `completed`.
        case completed
        /// Finalized after an `ended` event with reason `cancelled`.
        case cancelled
        /// Finalized without any `ended` event (usually after the timeout).
        case timedOut = "timed_out"
    }

    /// The tenant, from the first event's topic.
    public let tenantID: String
    /// `session_id` (UUID).
    public let sessionID: String
    /// The device that sent the session's first event (received first): its farm, barn and device id.
    public var address: DeviceAddress
    /// `station_id` of the `started` event, if any.
    public var stationID: String?
    /// `animal` of the `started` event, if any.
    public var animal: String?
    /// `expected_count` of the `started` event, if any.
    public var expectedCount: Int?
    /// `occurred_at` of the `started` / `ended` events.
    public var startedAt: Timestamp?
    /// `occurred_at` of the latest `ended` event; `nil` before one.
    public var endedAt: Timestamp?
    /// The reason of that `ended` event; `nil` before one.
    public var endReason: SessionEndReason?
    /// The earliest and latest `occurred_at` of any event of the session.
    public var firstOccurredAt: Timestamp
    /// The latest `occurred_at` of any event of the session.
    public var lastOccurredAt: Timestamp
    /// Receipt time of the latest event (edge clock).
    public var lastReceivedAt: Timestamp
    /// Revisions finalized so far (0: never).
    public var revision: Int
    /// ``Status/open`` until finalized, and again after a late event.
    public var status: Status
    /// An event arrived after a finalization.
    public var lateEvents: Bool
    /// When the finalization pass must finalize it (edge clock, ms); `nil` once finalized and unchanged.
    public var dueAt: Timestamp?

    /// A session opened by its first event, whatever its kind.
    public init(opening event: SessionEvent) {
        tenantID = event.address.tenantID
        sessionID = event.sessionID
        address = event.address
        firstOccurredAt = event.occurredAt
        lastOccurredAt = event.occurredAt
        lastReceivedAt = event.receivedAt
        revision = 0
        status = .open
        lateEvents = false
    }

    /// A session of given values, e.g. as read back from `weight_sessions` (not checked).
    public init(
        tenantID: String, sessionID: String, address: DeviceAddress, stationID: String?, animal: String?, expectedCount: Int?,
        startedAt: Timestamp?, endedAt: Timestamp?, endReason: SessionEndReason?, firstOccurredAt: Timestamp, lastOccurredAt: Timestamp,
        lastReceivedAt: Timestamp, revision: Int, status: Status, lateEvents: Bool, dueAt: Timestamp?
    ) {
        self.tenantID = tenantID
        self.sessionID = sessionID
        self.address = address
        self.stationID = stationID
        self.animal = animal
        self.expectedCount = expectedCount
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.endReason = endReason
        self.firstOccurredAt = firstOccurredAt
        self.lastOccurredAt = lastOccurredAt
        self.lastReceivedAt = lastReceivedAt
        self.revision = revision
        self.status = status
        self.lateEvents = lateEvents
        self.dueAt = dueAt
    }

    /// Folds one new event in. Order does not matter: `started` fills what is still unknown (the earliest
    /// `started` wins when a device sent two), `ended` keeps the latest; readings change only the times (they
    /// are stored as rows). Afterwards the session is due `grace` after this event when it has ended or was
    /// finalized before, else `timeout` after it.
    public mutating func apply(_ event: SessionEvent, grace: Duration, timeout: Duration) {
        switch event.kind {
        case .started(let station, let animal, let expected):
            if startedAt.map({ event.occurredAt < $0 }) ?? true {
                startedAt = event.occurredAt
                if let station { stationID = station }
                if let animal { self.animal = animal }
                if let expected { expectedCount = expected }
            } else {
                stationID = stationID ?? station
                self.animal = self.animal ?? animal
                expectedCount = expectedCount ?? expected
            }
        case .reading:
            break
        case .ended(let reason):
            if endedAt.map({ event.occurredAt >= $0 }) ?? true {
                endedAt = event.occurredAt
                endReason = reason
            }
        }
        if event.occurredAt < firstOccurredAt { firstOccurredAt = event.occurredAt }
        if event.occurredAt > lastOccurredAt { lastOccurredAt = event.occurredAt }
        if event.receivedAt > lastReceivedAt { lastReceivedAt = event.receivedAt }
        if revision > 0 {
            lateEvents = true
            status = .open
        }
        let wait = (endReason != nil || revision > 0) ? grace : timeout
        dueAt = lastReceivedAt.adding(milliseconds: wait.milliseconds)
    }

    /// An image of the session was analysed (`contracts.md` §3a: images are events of the session). A session
    /// already finalized and not due again reopens and is due `grace` after `time`, so its next revision counts the
    /// image; otherwise nothing changes (its coming finalization reads every result). Returns whether it changed.
    public mutating func imageAnalysed(at time: Timestamp, grace: Duration) -> Bool {
        guard revision > 0, dueAt == nil else { return false }
        status = .open
        dueAt = time.adding(milliseconds: grace.milliseconds)
        return true
    }

    /// The status a finalization gives: the `ended` reason, or `timed_out` without one.
    public var closingStatus: Status {
        switch endReason {
        case .completed?: .completed
        case .cancelled?: .cancelled
        case nil: .timedOut
        }
    }
}

/// When sessions close (`contracts.md` §3a, §7): `grace` after the last event once `ended` was received
/// (`FARMIQ_SESSION_GRACE_SECONDS`, 30 s), `timeout` after the last event otherwise
/// (`FARMIQ_SESSION_TIMEOUT_SECONDS`, 1800 s).
public struct SessionPolicy: Sendable, Equatable {
    /// How long after the last event a session that has ended (or was finalized before) is finalized.
    public var grace: Duration
    /// How long after the last event a session without `ended` is finalized, `timed_out`.
    public var timeout: Duration

    /// Defaults: the contract's 30 s grace and 1800 s timeout.
    public init(grace: Duration = .seconds(30), timeout: Duration = .seconds(1800)) {
        self.grace = grace
        self.timeout = timeout
    }
}
