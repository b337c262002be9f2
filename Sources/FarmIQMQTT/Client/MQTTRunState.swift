import NIOCore

/// Whether `run()` has started or stopped, and who waits for it to stop. Event-loop confined.
final class MQTTRunState: @unchecked Sendable {
    private enum State {
        case idle
        case running
        case stopped
    }

    private let eventLoop: any EventLoop
    private var state = State.idle
    private var waiters: [EventLoopPromise<Void>] = []

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Marks the client running; false if it already ran.
    func begin() -> Bool {
        self.eventLoop.assertInEventLoop()
        guard case .idle = self.state else { return false }
        self.state = .running
        return true
    }

    func end() {
        self.eventLoop.assertInEventLoop()
        self.state = .stopped
        let waiters = self.waiters
        self.waiters = []
        for waiter in waiters { waiter.succeed(()) }
    }

    /// Waits until `run()` returned. If it never started, stops the client right away.
    func waitUntilStopped(finishing session: MQTTSessionHandler) async {
        let future: EventLoopFuture<Void> = self.eventLoop.flatSubmit {
            switch self.state {
            case .idle:
                self.state = .stopped
                session.finish()
                return self.eventLoop.makeSucceededVoidFuture()
            case .stopped:
                return self.eventLoop.makeSucceededVoidFuture()
            case .running:
                let promise = self.eventLoop.makePromise(of: Void.self)
                self.waiters.append(promise)
                return promise.futureResult
            }
        }
        try? await future.get()
    }
}
