import FarmIQCore

/// `weight_sessions` and `weight_readings`, owned by edge-weighvision-session (`contracts.md` §3a).
///
/// Ingest is idempotent on `(tenant_id, event_id)` through the shared event-id register; finalization is exactly
/// once per revision: it commits the `weighvision.session.finalized` outbox row in the same transaction that
/// marks the revision finalized, and only if the session did not change since it was read.
public protocol WeighSessionStore: Sendable {
    /// Stores `weighvision.*` events in one transaction: each new event opens or updates its session (in any
    /// order, ``FarmIQCore/WeighSession/apply(_:grace:timeout:)``), a reading becomes a `weight_readings` row, and
    /// every new event gets one outbox row. Repeats (in the batch or already registered) are counted as
    /// duplicates and change nothing. Events that are not session events (see ``FarmIQCore/SessionEvent``) are
    /// stored as outbox rows only.
    func ingest(_ events: [DeviceEvent], policy: SessionPolicy) async throws -> IngestCounts

    /// Reopens a finalized session after one of its images was analysed (``FarmIQCore/WeighSession/imageAnalysed(at:grace:)``),
    /// so its next revision uses the result; `false` when nothing changed (not finalized yet, already due, unknown).
    func reopenForImage(tenantID: String, sessionID: String, at time: Timestamp, grace: Duration) async throws -> Bool

    /// Sessions whose `due_at` is at or before `now`, earliest first, at most `limit`.
    func dueSessions(now: Timestamp, limit: Int) async throws -> [WeighSession]

    /// Finalizes the next revision of `session` (as ``dueSessions(now:limit:)`` returned it) in one
    /// transaction: computes ``FarmIQCore/SessionFinalization`` from its readings and `images`, writes the
    /// `weighvision.session.finalized` outbox row (event id `eventID`, occurred at `time`) and the result.
    /// Returns `nil` and writes nothing when the session changed meanwhile (another event, another replica).
    func finalize(_ session: WeighSession, images: SessionImages, eventID: String, at time: Timestamp) async throws -> SessionFinalization?

    /// One session with its readings (by `seq`), or `nil`.
    func session(tenantID: String, sessionID: String) async throws -> StoredSession?

    /// Sessions of a tenant, newest first (by first event time, then session id), after `query.cursor`.
    func sessions(_ query: SessionQuery) async throws -> [StoredSession]

    /// Sessions by status (`open`, `completed`, …) and how many are due now, for `/metrics` and `status`.
    func sessionCounts(now: Timestamp) async throws -> SessionCounts
}

/// A session as stored: its lifecycle, its last finalized result and (for one session) its readings.
public struct StoredSession: Sendable, Equatable {
    /// The session's lifecycle: ids, times, status, revision, due date.
    public var session: WeighSession
    /// The last finalization's numbers and payload (`nil` before the first).
    public var weightKg: Double?
    /// The bird count of the last finalization; `nil` also when it was unknown (no analysed image and no
    /// `expected_count`).
    public var birdCount: Int?
    /// Scale weight ÷ bird count of the last finalization, kg; `nil` without both.
    public var averageWeightKg: Double?
    /// The `weighvision.session.finalized` payload of the last revision (`contracts.md` §3a).
    public var resultJSON: String?
    /// When the last revision was finalized.
    public var finalizedAt: Timestamp?
    /// Filled by ``WeighSessionStore/session(tenantID:sessionID:)`` only.
    public var readings: [WeighReading]

    /// A record of given values (not checked); `readings` empty by default.
    public init(session: WeighSession, weightKg: Double?, birdCount: Int?, averageWeightKg: Double?, resultJSON: String?,
                finalizedAt: Timestamp?, readings: [WeighReading] = []) {
        self.session = session
        self.weightKg = weightKg
        self.birdCount = birdCount
        self.averageWeightKg = averageWeightKg
        self.resultJSON = resultJSON
        self.finalizedAt = finalizedAt
        self.readings = readings
    }
}

/// One `weighvision.weight.reading` as stored.
public struct WeighReading: Sendable, Equatable {
    /// The `event_id` of the reading's event.
    public let eventID: String
    /// The scale's `seq` number of the reading.
    public let seq: Int
    /// Kilograms.
    public let weightKg: Double
    /// Whether the scale reported it stable: the scale weight uses the stable readings when there are any
    /// (`contracts.md` §3a).
    public let stable: Bool
    /// The event's `occurred_at` (the device's clock).
    public let occurredAt: Timestamp
    /// When the edge received the event (the edge's clock).
    public let receivedAt: Timestamp

    /// A record of given values (not checked).
    public init(eventID: String, seq: Int, weightKg: Double, stable: Bool, occurredAt: Timestamp, receivedAt: Timestamp) {
        self.eventID = eventID
        self.seq = seq
        self.weightKg = weightKg
        self.stable = stable
        self.occurredAt = occurredAt
        self.receivedAt = receivedAt
    }
}

/// A page request of ``WeighSessionStore/sessions(_:)``. Times bound the session's first event
/// (`from` inclusive, `to` exclusive); `cursor` is the last session of the previous page.
public struct SessionQuery: Sendable, Equatable {
    /// The tenant whose sessions are listed.
    public var tenantID: String
    /// Only sessions of this barn; `nil` for all.
    public var barnID: String?
    /// Only sessions naming this `station_id`; `nil` for all.
    public var stationID: String?
    /// Only sessions in this status; `nil` for all.
    public var status: WeighSession.Status?
    /// Inclusive lower bound of the session's earliest event time (`first_occurred_at`).
    public var from: Timestamp?
    /// Exclusive upper bound of the session's earliest event time.
    public var to: Timestamp?
    /// Sessions per page, 100 by default. Not capped here: the HTTP route accepts only 1 to its maximum.
    public var limit: Int
    /// The last session of the previous page; `nil` for the first page.
    public var cursor: SessionCursor?

    /// A query of the first page of all the tenant's sessions by default, 100 per page.
    public init(tenantID: String, barnID: String? = nil, stationID: String? = nil, status: WeighSession.Status? = nil,
                from: Timestamp? = nil, to: Timestamp? = nil, limit: Int = 100, cursor: SessionCursor? = nil) {
        self.tenantID = tenantID
        self.barnID = barnID
        self.stationID = stationID
        self.status = status
        self.from = from
        self.to = to
        self.limit = limit
        self.cursor = cursor
    }
}

/// Where a page of sessions ends: `first_occurred_at` (ms) and `session_id` of its last session. Its text form
/// (`{ms}_{session_id}`) is the `cursor` of the HTTP API.
public struct SessionCursor: Sendable, Equatable {
    /// The session's `first_occurred_at`, milliseconds since the Unix epoch.
    public let firstOccurredAt: Int64
    /// The session's id (canonical lower-case UUID).
    public let sessionID: String

    /// A cursor of given values (not checked).
    public init(firstOccurredAt: Int64, sessionID: String) {
        self.firstOccurredAt = firstOccurredAt
        self.sessionID = sessionID
    }

    /// `{firstOccurredAt}_{sessionID}`: the HTTP API's cursor text, read back by ``init(text:)``.
    public var text: String { "\(firstOccurredAt)_\(sessionID)" }

    /// Parses ``text``; `nil` for anything else (the caller answers `400`).
    public init?(text: String) {
        let parts = text.split(separator: "_", maxSplits: 1)
        guard parts.count == 2, let milliseconds = Int64(parts[0]), Identifier.isValidUUID(String(parts[1])) else { return nil }
        self.init(firstOccurredAt: milliseconds, sessionID: String(parts[1]))
    }
}

/// Session counts for metrics.
public struct SessionCounts: Sendable, Equatable {
    /// Sessions per `status` (`open`, `completed`, `cancelled`, `timed_out`); a status without sessions has no entry.
    public var byStatus: [String: Int]
    /// Sessions due for finalization now (a backlog here means the pass is behind or failing).
    public var due: Int

    /// Counts of given values (not checked).
    public init(byStatus: [String: Int], due: Int) {
        self.byStatus = byStatus
        self.due = due
    }
}
