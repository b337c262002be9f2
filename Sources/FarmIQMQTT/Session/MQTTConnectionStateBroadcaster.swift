import NIOConcurrencyHelpers

/// Publishes connection state changes to any number of `AsyncStream` observers. Locked only on
/// state changes and reads, never per message.
final class MQTTConnectionStateBroadcaster: Sendable {
    private struct Storage {
        var state: MQTTConnectionState = .idle
        var nextID = 0
        var observers: [Int: AsyncStream<MQTTConnectionState>.Continuation] = [:]
    }

    private let storage = NIOLockedValueBox(Storage())

    var state: MQTTConnectionState {
        self.storage.withLockedValue { $0.state }
    }

    func update(_ state: MQTTConnectionState) {
        let observers: [AsyncStream<MQTTConnectionState>.Continuation] = self.storage.withLockedValue { storage in
            guard storage.state != state, storage.state != .shutdown else { return [] }
            storage.state = state
            return Array(storage.observers.values)
        }
        for observer in observers {
            observer.yield(state)
            if state == .shutdown { observer.finish() }
        }
    }

    /// A stream that starts with the current state and yields every change; it finishes after
    /// `.shutdown`.
    func makeStream() -> AsyncStream<MQTTConnectionState> {
        let (stream, continuation) = AsyncStream.makeStream(of: MQTTConnectionState.self, bufferingPolicy: .bufferingNewest(16))
        let current: MQTTConnectionState = self.storage.withLockedValue { storage in
            let id = storage.nextID
            storage.nextID += 1
            if storage.state != .shutdown { storage.observers[id] = continuation }
            continuation.onTermination = { [weak self] _ in
                self?.storage.withLockedValue { _ = $0.observers.removeValue(forKey: id) }
            }
            return storage.state
        }
        continuation.yield(current)
        if current == .shutdown { continuation.finish() }
        return stream
    }
}
