import FarmIQCore
import NIOConcurrencyHelpers

/// The run-time handle on a cloud-sim: change faults, take it down and up, read its stats.
/// The admin API (`/admin/…`) goes through the same calls.
public final class CloudSimController: Sendable {
    /// Request counters since start.
    struct RequestCounters: Sendable {
        var requests = 0
        var unauthorized = 0
        var badRequests = 0
        var tooLarge = 0
        var refused = 0
        var throttled = 0
        var serverErrors = 0
        var resets = 0
        var unavailable = 0
        var mediaHashMismatch = 0
    }

    private struct State {
        var faults: CloudSimFaults
        var downUntil: ContinuousClock.Instant?
        /// Down periods asked for in `refuse` mode so far.
        var downRequested = 0
        var counters = RequestCounters()
    }

    private let state: NIOLockedValueBox<State>
    let store: CloudSimStore
    let tracker = InFlightTracker()
    let connections = ConnectionRegistry()
    /// Signals the server's run loop that the listener must close (down in `refuse` mode).
    let downRequests: AsyncStream<Void>
    private let downContinuation: AsyncStream<Void>.Continuation

    init(faults: CloudSimFaults, store: CloudSimStore) {
        var initial = State(faults: faults)
        if let downFor = faults.downFor { initial.downUntil = .now + downFor }
        initial.faults.downFor = nil
        state = NIOLockedValueBox(initial)
        self.store = store
        (downRequests, downContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    // MARK: Faults

    /// The faults in force.
    public var faults: CloudSimFaults {
        state.withLockedValue { $0.faults }
    }

    /// Replaces the faults. `downFor` is ignored here: use ``goDown(for:mode:)``.
    public func setFaults(_ faults: CloudSimFaults) {
        state.withLockedValue { state in
            state.faults = faults
            state.faults.downFor = nil
        }
    }

    /// Changes the faults in place.
    public func updateFaults(_ body: @Sendable (inout CloudSimFaults) -> Void) {
        state.withLockedValue { state in
            body(&state.faults)
            state.faults.downFor = nil
        }
    }

    /// Clears every fault and comes back up.
    public func clearFaults() {
        state.withLockedValue { state in
            state.faults = CloudSimFaults()
            state.downUntil = nil
        }
    }

    /// Goes down now for `duration`: in `refuse` mode the listener closes (after in-flight requests end)
    /// and reopens on the same port when the period is over.
    public func goDown(for duration: Duration, mode: CloudSimFaults.DownMode? = nil) {
        let refuse = state.withLockedValue { state in
            if let mode { state.faults.downMode = mode }
            state.downUntil = .now + duration
            if state.faults.downMode == .refuse { state.downRequested += 1 }
            return state.faults.downMode == .refuse
        }
        if refuse { downContinuation.yield() }
    }

    /// How many down periods were asked for in `refuse` mode: the server closes its listener once for each one it
    /// has not yet acted on, even one that is already over when it gets to it (a loaded machine), so every request
    /// is seen to close and reopen the listener.
    var downRequested: Int {
        state.withLockedValue { $0.downRequested }
    }

    /// Ends a down period early.
    public func comeUp() {
        state.withLockedValue { $0.downUntil = nil }
    }

    /// How much longer cloud-sim stays down, if it is down.
    public var downRemaining: Duration? {
        state.withLockedValue { state in
            guard let until = state.downUntil else { return nil }
            let remaining = until - .now
            if remaining <= .zero {
                state.downUntil = nil
                return nil
            }
            return remaining
        }
    }

    /// Whether the listener should be closed now.
    var refusesConnections: Bool {
        downRemaining != nil && faults.downMode == .refuse
    }

    /// Non-nil while down in `unavailable` mode: the seconds to put in `Retry-After`.
    func unavailableRetryAfter() -> Int? {
        guard let remaining = downRemaining else { return nil }
        guard faults.downMode == .unavailable else { return nil }
        return max(1, Int((remaining.milliseconds + 999) / 1000))
    }

    /// The fault for the next API request: an explicit `failNext` first, then the rates.
    func drawFault() -> CloudSimFaults.Fault? {
        state.withLockedValue { state in
            if !state.faults.failNext.isEmpty { return state.faults.failNext.removeFirst() }
            let faults = state.faults
            if faults.throttleRate > 0, Double.random(in: 0..<1) < faults.throttleRate { return .throttle }
            if faults.serverErrorRate > 0, Double.random(in: 0..<1) < faults.serverErrorRate { return .serverError }
            if faults.resetRate > 0, Double.random(in: 0..<1) < faults.resetRate { return .reset }
            return nil
        }
    }

    func count(_ counter: WritableKeyPath<RequestCounters, Int>) {
        state.withLockedValue { $0.counters[keyPath: counter] += 1 }
    }

    // MARK: Stats

    /// Counts from the store and since start.
    public func stats() async throws -> CloudSimStats {
        let persistent = try await store.counters()
        let (counters, down) = state.withLockedValue { state in
            (state.counters, state.downUntil.map { $0 > .now } ?? false)
        }
        let flight = tracker.snapshot
        var stats = CloudSimStats()
        stats.accepted = persistent[.accepted] ?? 0
        stats.duplicate = persistent[.duplicate] ?? 0
        stats.rejected = persistent[.rejected] ?? 0
        stats.uniqueEvents = stats.accepted
        stats.redeliveredEvents = persistent[.redeliveredEvents] ?? 0
        stats.batches = persistent[.batches] ?? 0
        stats.mediaStored = persistent[.mediaStored] ?? 0
        stats.mediaDuplicate = persistent[.mediaDuplicate] ?? 0
        stats.mediaEventBeforeBytes = persistent[.mediaEventBeforeBytes] ?? 0
        stats.requests = counters.requests
        stats.unauthorized = counters.unauthorized
        stats.badRequests = counters.badRequests
        stats.tooLarge = counters.tooLarge
        stats.refused = counters.refused
        stats.throttled = counters.throttled
        stats.serverErrors = counters.serverErrors
        stats.resets = counters.resets
        stats.unavailable = counters.unavailable
        stats.mediaHashMismatch = counters.mediaHashMismatch
        stats.batchesInFlight = flight.batchesInFlight
        stats.maxBatchesInFlight = flight.maxBatchesInFlight
        stats.maxConcurrentSameEvent = flight.maxConcurrentSameEvent
        stats.overlappingEvents = flight.overlappingEvents
        stats.overlappingSample = flight.overlappingSample
        stats.isDown = down
        return stats
    }

    /// The distinct events in the store, counted row by row (a full scan: for tests, not for polling).
    public func countStoredEvents() async throws -> Int {
        try await store.uniqueEventCount()
    }

    /// One stored event and how it was received, or nil if it never was.
    public func event(tenantID: String, eventID: String) async throws -> CloudSimEventRecord? {
        guard Identifier.isValidName(tenantID), Identifier.isValidUUID(eventID),
            let record = try await store.event(tenantID: tenantID, eventID: eventID)
        else { return nil }
        let key = InFlightTracker.key(tenantID: tenantID, eventID: eventID)
        return CloudSimEventRecord(
            tenantID: tenantID, eventID: eventID, eventType: record.eventType, batchID: record.batchID,
            receiveCount: record.receiveCount, maxConcurrentInFlight: tracker.maxConcurrent(key: key, seen: true))
    }
}
