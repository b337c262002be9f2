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
    public var session: WeighSession
    /// The last finalization's numbers and payload (`nil` before the first).
    public var weightKg: Double?
    public var birdCount: Int?
    public var averageWeightKg: Double?
    public var resultJSON: String?
    public var finalizedAt: Timestamp?
    /// Filled by ``WeighSessionStore/session(tenantID:sessionID:)`` only.
    public var readings: [WeighReading]

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
    public let eventID: String
    public let seq: Int
    /// Kilograms.
    public let weightKg: Double
    public let stable: Bool
    public let occurredAt: Timestamp
    public let receivedAt: Timestamp

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
    public var tenantID: String
    public var barnID: String?
    public var stationID: String?
    public var status: WeighSession.Status?
    public var from: Timestamp?
    public var to: Timestamp?
    public var limit: Int
    public var cursor: SessionCursor?

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
    public let firstOccurredAt: Int64
    public let sessionID: String

    public init(firstOccurredAt: Int64, sessionID: String) {
        self.firstOccurredAt = firstOccurredAt
        self.sessionID = sessionID
    }

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
    public var byStatus: [String: Int]
    /// Sessions due for finalization now (a backlog here means the pass is behind or failing).
    public var due: Int

    public init(byStatus: [String: Int], due: Int) {
        self.byStatus = byStatus
        self.due = due
    }
}
