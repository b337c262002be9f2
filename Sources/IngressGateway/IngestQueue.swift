import Synchronization

/// The hand-off between the MQTT reader and the committer: group commit without timers.
///
/// The reader appends every received message; the committer takes everything waiting (up to a
/// batch size) each time it is free. Under load, batches grow while a commit is in flight; when
/// idle, a message is committed at once. The queue is bounded by the MQTT client's flow control
/// (Receive Maximum and its byte bound on unacknowledged messages), so it needs no bound of its own.
final class IngestQueue<Element: Sendable>: Sendable {
    private struct State {
        /// Elements from `head` on are waiting; those before it were taken (compacted lazily, so a
        /// take never shifts the rest of the buffer).
        var buffer: [Element] = []
        var head = 0
        var waiter: CheckedContinuation<Void, Never>?
        var finished = false

        var waiting: Int { buffer.count - head }

        mutating func take(_ maximum: Int, maximumWeight: Int, weight: (Element) -> Int) -> [Element] {
            var end = head + min(maximum, waiting)
            if maximumWeight < .max {
                // At least one element, then as many as fit in `maximumWeight`.
                var total = weight(buffer[head])
                var cut = head + 1
                while cut < end {
                    let next = total + weight(buffer[cut])
                    if next > maximumWeight { break }
                    total = next
                    cut += 1
                }
                end = cut
            }
            if head == 0 && end == buffer.count {
                var batch: [Element] = []
                swap(&batch, &buffer)
                return batch
            }
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
    private let weight: @Sendable (Element) -> Int

    /// A queue whose batches are bounded by count and by the summed `weight` of their elements (e.g. bytes).
    init(weight: @escaping @Sendable (Element) -> Int = { _ in 0 }) {
        self.weight = weight
    }

    /// Appends one element (``append(contentsOf:)``).
    func append(_ element: Element) {
        append(contentsOf: [element])
    }

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

    /// No more elements will come; `next` drains what is left, then returns an empty batch.
    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    var count: Int { state.withLock { $0.waiting } }

    /// Waits until something is queued (or the queue is finished) and takes up to `maximum` elements whose
    /// weights sum to at most `maximumWeight` (always at least one element). Returns an empty array only when
    /// finished and drained. One consumer at a time.
    func next(maximum: Int, maximumWeight: Int = .max) async -> [Element] {
        let weight = self.weight
        while true {
            let batch = state.withLock { state -> [Element]? in
                if state.waiting > 0 { return state.take(maximum, maximumWeight: maximumWeight, weight: weight) }
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
