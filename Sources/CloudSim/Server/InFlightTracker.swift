import NIOConcurrencyHelpers

/// Tracks which events are inside batches being handled right now, to show whether two senders ever had
/// the same event in flight at once (the two-forwarder test). Memory is bounded by the events in flight
/// plus the events that ever overlapped.
final class InFlightTracker: Sendable {
    struct Snapshot: Sendable, Equatable {
        var batchesInFlight = 0
        var maxBatchesInFlight = 0
        /// The highest number of batches in flight at one time that contained the same event.
        var maxConcurrentSameEvent = 0
        /// Events that were in two or more in-flight batches at the same time.
        var overlappingEvents = 0
        /// Up to ``InFlightTracker/sampleLimit`` of those, as `tenant_id/event_id`.
        var overlappingSample: [String] = []
    }

    static let sampleLimit = 100

    private struct State {
        var inFlight: [String: Int] = [:]
        var overlaps: [String: Int] = [:]
        var snapshot = Snapshot()
    }

    private let state = NIOLockedValueBox(State())

    static func key(tenantID: String, eventID: String) -> String { tenantID + "/" + eventID }

    /// Registers a batch's distinct event keys as in flight.
    func enter(_ keys: Set<String>) {
        state.withLockedValue { state in
            state.snapshot.batchesInFlight += 1
            state.snapshot.maxBatchesInFlight = max(state.snapshot.maxBatchesInFlight, state.snapshot.batchesInFlight)
            for key in keys {
                let count = state.inFlight[key, default: 0] + 1
                state.inFlight[key] = count
                state.snapshot.maxConcurrentSameEvent = max(state.snapshot.maxConcurrentSameEvent, count)
                if count > 1 {
                    let previous = state.overlaps[key]
                    state.overlaps[key] = max(previous ?? 0, count)
                    if previous == nil {
                        state.snapshot.overlappingEvents += 1
                        if state.snapshot.overlappingSample.count < InFlightTracker.sampleLimit {
                            state.snapshot.overlappingSample.append(key)
                        }
                    }
                }
            }
        }
    }

    /// Removes a batch's keys (the same set given to ``enter(_:)``).
    func leave(_ keys: Set<String>) {
        state.withLockedValue { state in
            state.snapshot.batchesInFlight -= 1
            for key in keys {
                let count = (state.inFlight[key] ?? 1) - 1
                state.inFlight[key] = count == 0 ? nil : count
            }
        }
    }

    var snapshot: Snapshot { state.withLockedValue { $0.snapshot } }

    /// The most batches that held `key` at one time: 0 if never seen in flight, else at least 1.
    func maxConcurrent(key: String, seen: Bool) -> Int {
        state.withLockedValue { state in state.overlaps[key] ?? (seen ? 1 : 0) }
    }
}
