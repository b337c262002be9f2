import NIOCore

extension MQTTClient {
    /// Test hook: flushes what is pending and closes the TCP connection without DISCONNECT, as a
    /// network failure would. The client reconnects as usual.
    func closeConnectionAbruptly() async {
        let session = self.session
        try? await self.eventLoop.submit { session.closeConnectionAbruptly() }.get()
    }
}

extension MQTTSessionHandler {
    func closeConnectionAbruptly() {
        self.eventLoop.assertInEventLoop()
        self.flushPendingWrites()
        self.closeTransport()
    }
}
