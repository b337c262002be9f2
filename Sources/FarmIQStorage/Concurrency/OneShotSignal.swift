import FarmIQCore

/// A one-shot signal: ``EdgeDatabase/run()`` waits for `close()` on it; PostgreSQL queries wait until the pool runs.
/// Cancelling a waiting task fires it.
final class OneShotSignal: Sendable {
    private let state = LockedValue<(fired: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func fire() {
        let waiters = state.withLock { state in
            state.fired = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    var isFired: Bool { state.withLock { $0.fired } }

    /// Returns once fired, whether or not the current task is cancelled.
    func waitIgnoringCancellation() async {
        await suspendUntilFired(orCancelled: false)
    }

    /// Returns once fired or when the current task is cancelled.
    func wait() async {
        await withTaskCancellationHandler {
            await suspendUntilFired(orCancelled: true)
        } onCancel: {
            fire()
        }
    }

    private func suspendUntilFired(orCancelled: Bool) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state in
                if state.fired || (orCancelled && Task.isCancelled) { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}
