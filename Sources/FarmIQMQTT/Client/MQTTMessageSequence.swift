/// ``MQTTClient/messages``: the client's message batches, one message at a time.
public struct MQTTMessageSequence: AsyncSequence, Sendable {
    public typealias Element = MQTTMessage
    public typealias Failure = Never

    let batches: AsyncStream<[MQTTMessage]>

    /// Iterates the batches' messages in order.
    public struct AsyncIterator: AsyncIteratorProtocol {
        public typealias Failure = Never

        var batches: AsyncStream<[MQTTMessage]>.Iterator
        var current: [MQTTMessage] = []
        var position = 0

        /// The next message; `nil` once the client has stopped.
        public mutating func next() async -> MQTTMessage? {
            while position == current.count {
                guard let batch = await batches.next() else { return nil }
                current = batch
                position = 0
            }
            defer { position += 1 }
            return current[position]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(batches: batches.makeAsyncIterator())
    }
}
