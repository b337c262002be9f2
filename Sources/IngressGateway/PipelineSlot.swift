import Synchronization

/// A one-element hand-off between two pipeline stages. The producer waits until the consumer has
/// taken the previous element, so it works at most one element ahead: the gateway validates batch
/// N+1 while batch N commits, and batches still grow with the load (group commit).
final class PipelineSlot<Element: Sendable>: Sendable {
    private struct State {
        var element: Element?
        /// The producer will put nothing more.
        var finished = false
        /// The consumer has gone; puts are refused.
        var closed = false
        var waitingProducer: CheckedContinuation<Void, Never>?
        var waitingConsumer: CheckedContinuation<Void, Never>?

        mutating func wakeAll() -> [CheckedContinuation<Void, Never>] {
            defer { waitingProducer = nil; waitingConsumer = nil }
            return [waitingProducer, waitingConsumer].compactMap { $0 }
        }
    }

    private enum PutOutcome { case placed, refused, full }

    private let state = Mutex(State())

    init() {}

    /// Waits until the slot is free, then fills it. Returns false, dropping the element, if the
    /// consumer has closed the slot.
    func put(_ element: Element) async -> Bool {
        while true {
            let (outcome, wake) = state.withLock { state -> (PutOutcome, CheckedContinuation<Void, Never>?) in
                if state.closed { return (.refused, nil) }
                guard state.element == nil else { return (.full, nil) }
                state.element = element
                defer { state.waitingConsumer = nil }
                return (.placed, state.waitingConsumer)
            }
            wake?.resume()
            switch outcome {
            case .placed: return true
            case .refused: return false
            case .full:
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state -> Bool in
                        if state.closed || state.element == nil { return true }
                        state.waitingProducer = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
        }
    }

    /// Waits for the next element; nil once the producer has finished and the slot is empty.
    func take() async -> Element? {
        while true {
            let (taken, done, wake) = state.withLock { state -> (Element?, Bool, CheckedContinuation<Void, Never>?) in
                if let element = state.element {
                    state.element = nil
                    defer { state.waitingProducer = nil }
                    return (element, false, state.waitingProducer)
                }
                return (nil, state.finished || state.closed, nil)
            }
            wake?.resume()
            if let taken { return taken }
            if done { return nil }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.element != nil || state.finished || state.closed { return true }
                    state.waitingConsumer = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    /// Whether a producer, and whether a consumer, is suspended on the slot right now (a state probe: tests wait
    /// for it instead of sleeping).
    var waiting: (producer: Bool, consumer: Bool) {
        state.withLock { ($0.waitingProducer != nil, $0.waitingConsumer != nil) }
    }

    /// The producer is done: `take` returns what is left, then nil.
    func finish() {
        let wake = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.finished = true
            return state.wakeAll()
        }
        for continuation in wake { continuation.resume() }
    }

    /// The consumer is gone: a waiting or later `put` returns false.
    func close() {
        let wake = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.closed = true
            state.element = nil
            return state.wakeAll()
        }
        for continuation in wake { continuation.resume() }
    }
}
