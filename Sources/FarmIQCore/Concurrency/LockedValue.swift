import Synchronization

/// A value behind a lock, shareable as a reference (a class, so a struct or an actor-free service can
/// hold it without becoming non-copyable, as a `Mutex` stored property would make it).
public final class LockedValue<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    /// Wraps `value` behind a new `Mutex`.
    public init(_ value: Value) { self.mutex = Mutex(value) }

    /// Runs `body` with exclusive access to the value and returns its result; rethrows what `body` throws.
    public func withLock<T: Sendable>(_ body: (inout Value) throws -> T) rethrows -> T {
        try mutex.withLock { value in try body(&value) }
    }
}
