import Synchronization

/// The hand-off between the MQTT reader and the committer: group commit without timers.
///
/// The reader appends every received message; the committer takes everything waiting (up to a
/// batch size) each time it is free. Under load, batches grow while a commit is in flight; when
/// idle, a message is committed at once. The queue is bounded by the broker's flow control
/// (Receive Maximum: unacknowledged messages), so it needs no bound of its own.
final class IngestQueue<Element: Sendable>: Sendable {
    private struct State {
        /// Elements from `head` on are waiting; those before it were taken (compacted lazily, so a
        /// take never shifts the rest of the buffer).
        var buffer: [Element] = []
        var head = 0
        var waiter: CheckedContinuation<Void, Never>?
        var finished = false

        var waiting: Int { buffer.count - head }

        mutating func take(_ maximum: Int) -> [Element] {
            if head == 0 && buffer.count <= maximum {
                var batch: [Element] = []
                swap(&batch, &buffer)
                return batch
            }
            let end = head + min(maximum, waiting)
            let batch = Array(buffer[head..<end])
            head = end
            if head == buffer.count {
                buffer.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 1024 && head * 2 >= buffer.count {
                buffer.removeFirst(head)
                head = 0
            }
            return batch
        }
    }

    private let state = Mutex(State())

    init() {}

    func append(_ element: Element) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.buffer.append(element)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// No more elements will come; `next` drains what is left, then returns an empty batch.
    /// Appends `elements` in order, with one lock and at most one wake-up of the consumer.
    func append(contentsOf elements: [Element]) {
        guard !elements.isEmpty else { return }
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.buffer.append(contentsOf: elements)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    var count: Int { state.withLock { $0.waiting } }

    /// Waits until something is queued (or the queue is finished) and takes up to `maximum` elements.
    /// Returns an empty array only when finished and drained. One consumer at a time.
    func next(maximum: Int) async -> [Element] {
        while true {
            let batch = state.withLock { state -> [Element]? in
                if state.waiting > 0 { return state.take(maximum) }
                return state.finished ? [] : nil
            }
            if let batch { return batch }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.waiting > 0 || state.finished { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }
}
