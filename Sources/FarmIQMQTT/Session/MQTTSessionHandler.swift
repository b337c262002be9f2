import Logging
import NIOCore

/// Runs an ``MQTTSessionStateMachine`` on one event loop and executes its actions: it outlives the
/// individual connections, so the session (in-flight messages, subscriptions, packet ids) survives
/// reconnects.
///
/// Every method must be called on ``eventLoop``; the client hops there. Writes are encoded into one
/// pending buffer and flushed once per event-loop tick or per `channelReadComplete`.
final class MQTTSessionHandler: @unchecked Sendable {
    let eventLoop: any EventLoop
    private var logger: Logger
    private var stateMachine: MQTTSessionStateMachine
    private let messages: AsyncStream<[MQTTMessage]>.Continuation
    private let states: MQTTConnectionStateBroadcaster
    private let connectTimeout: TimeAmount

    private var connection: MQTTChannelHandler?
    private var encoder = MQTTPacketEncoder(version: .v5)
    private var pendingWrites: ByteBuffer?
    /// Messages decoded in the current read burst; handed to the stream at `channelReadComplete`,
    /// so a waiting consumer is woken once per burst rather than once per message.
    private var pendingDeliveries: [MQTTMessage] = []
    private var flushScheduled = false
    private var keepAliveTask: RepeatedTask?
    private var connAckTimeout: Scheduled<Void>?
    private var closeError: MQTTError?
    private(set) var lastOutcome: MQTTSessionStateMachine.ConnectionOutcome?
    private let statistics: MQTTClientStatistics
    /// Whether a CONNACK was accepted before on this client (its persistent session should then exist).
    private var hasConnectedBefore = false
    private var shutdownRequested = false
    private var backoffSleep: (scheduled: Scheduled<Void>, promise: EventLoopPromise<Void>)?
    /// A socket read the channel asked for and flow control held back (``MQTTSessionStateMachine/holdsReads``).
    private var heldRead = false

    init(
        eventLoop: any EventLoop,
        configuration: MQTTSessionStateMachine.Configuration,
        connectTimeout: TimeAmount,
        messages: AsyncStream<[MQTTMessage]>.Continuation,
        states: MQTTConnectionStateBroadcaster,
        statistics: MQTTClientStatistics,
        logger: Logger
    ) {
        self.statistics = statistics
        self.eventLoop = eventLoop
        self.stateMachine = MQTTSessionStateMachine(configuration: configuration)
        self.connectTimeout = connectTimeout
        self.messages = messages
        self.states = states
        self.logger = logger
    }

    var isShutdownRequested: Bool {
        self.eventLoop.assertInEventLoop()
        return self.shutdownRequested
    }

    var assignedClientID: String? { self.stateMachine.assignedClientID }

    // MARK: Connection events (from MQTTChannelHandler)

    func connectionActive(_ handler: MQTTChannelHandler, version: MQTTProtocolVersion) {
        self.eventLoop.assertInEventLoop()
        if self.shutdownRequested {
            handler.close()
            return
        }
        self.connection = handler
        self.encoder = MQTTPacketEncoder(version: version)
        self.closeError = nil
        self.lastOutcome = nil
        self.logger[metadataKey: "mqtt.protocol"] = "\(version == .v5 ? "5" : "3.1.1")"
        self.run(self.stateMachine.connectionEstablished(version: version))
        self.connAckTimeout = self.eventLoop.scheduleTask(in: self.connectTimeout) { [self] in
            self.run(self.stateMachine.connAckTimedOut())
        }
        self.publishState()
    }

    func packetReceived(_ packet: MQTTPacket, from handler: MQTTChannelHandler) {
        guard handler === self.connection else { return }
        let wasConnected = self.stateMachine.isConnected
        let action = self.stateMachine.packetReceived(packet, now: .now())
        self.run(action)
        if !wasConnected, self.stateMachine.isConnected {
            self.connAckTimeout?.cancel()
            self.connAckTimeout = nil
            self.startKeepAlive()
            if case .connected(let sessionPresent, _) = self.stateMachine.publicState {
                self.logger.info("MQTT connected", metadata: ["mqtt.session_present": "\(sessionPresent)"])
                // A persistent session that the broker no longer has: what it queued for us while we were away
                // is gone (another client took our client id with a clean start, the broker lost its store, or
                // the session expired).
                if !sessionPresent, !self.stateMachine.configuration.cleanStart, self.hasConnectedBefore {
                    self.statistics.sessionsLost.add(1, ordering: .relaxed)
                    self.logger.error(
                        "MQTT broker had no session for this client: messages it queued while we were away may be lost (another client with this client id and a clean start? a broker that lost its store? the session expired?)",
                        metadata: ["mqtt.session_present": "false"])
                }
                self.hasConnectedBefore = true
            }
        }
    }

    func readComplete(from handler: MQTTChannelHandler) {
        guard handler === self.connection else { return }
        self.deliverPending()
        self.flush()
    }

    func errorCaught(_ error: any Error, from handler: MQTTChannelHandler) {
        guard handler === self.connection else { return }
        let mqttError = (error as? MQTTError) ?? MQTTError(.transportError, "connection error", underlying: error)
        self.logger.warning("MQTT connection error", metadata: ["error": "\(mqttError)"])
        self.closeConnection(mqttError, disconnectReason: mqttError.code == .malformedPacket ? 0x81 : (mqttError.code == .packetTooLarge ? 0x95 : nil))
    }

    func connectionInactive(_ handler: MQTTChannelHandler) {
        guard handler === self.connection else { return }
        self.deliverPending()
        self.connection = nil
        self.heldRead = false
        self.pendingWrites = nil
        self.flushScheduled = false
        self.keepAliveTask?.cancel()
        self.keepAliveTask = nil
        self.connAckTimeout?.cancel()
        self.connAckTimeout = nil
        self.run(self.stateMachine.connectionClosed(error: self.closeError))
        self.publishState()
    }

    // MARK: Application requests (on the event loop)

    func publish(_ publish: MQTTPacket.Publish, promise: EventLoopPromise<Void>?) {
        self.run(self.stateMachine.publish(publish, promise: promise))
    }

    func cancelPublish(_ promise: EventLoopPromise<Void>) {
        self.stateMachine.cancelPublish(promise)?.fail(CancellationError())
    }

    func acknowledge(_ token: MQTTAckToken) {
        guard let puback = self.stateMachine.acknowledge(token) else { return }
        self.write(.puback(puback))
        if self.heldRead, !self.stateMachine.holdsReads {
            self.heldRead = false
            self.connection?.read()
        }
    }

    /// The channel wants to read from the socket; false holds the read until acknowledgements free
    /// room under our Receive Maximum.
    func shouldRead(from handler: MQTTChannelHandler) -> Bool {
        guard handler === self.connection, self.stateMachine.holdsReads else { return true }
        if !self.heldRead {
            self.logger.debug("MQTT reads held: Receive Maximum of unacknowledged messages reached",
                              metadata: ["mqtt.unacknowledged": "\(self.stateMachine.unacknowledgedIncomingCount)"])
        }
        self.heldRead = true
        return false
    }

    func subscribe(_ subscriptions: [MQTTSubscription], promise: EventLoopPromise<[MQTTSubscribeResult]>?) {
        self.run(self.stateMachine.subscribe(subscriptions, promise: promise))
        self.publishState()
    }

    func unsubscribe(_ topicFilters: [String], promise: EventLoopPromise<Void>?) {
        self.run(self.stateMachine.unsubscribe(topicFilters, promise: promise))
    }

    /// Graceful stop: fail pending requests, DISCONNECT, close; wakes a backoff sleep.
    func requestShutdown() {
        self.eventLoop.assertInEventLoop()
        guard !self.shutdownRequested else { return }
        self.shutdownRequested = true
        self.logger.debug("MQTT shutdown requested")
        self.run(self.stateMachine.shutdown())
        if let sleep = self.backoffSleep {
            sleep.scheduled.cancel()
            sleep.promise.succeed(())
            self.backoffSleep = nil
        }
    }

    /// Waits `delay` on the event loop, or less if shutdown is requested.
    func sleep(_ delay: TimeAmount) -> EventLoopFuture<Void> {
        self.eventLoop.assertInEventLoop()
        if self.shutdownRequested { return self.eventLoop.makeSucceededVoidFuture() }
        let promise = self.eventLoop.makePromise(of: Void.self)
        let scheduled = self.eventLoop.scheduleTask(in: delay) { [self] in
            self.backoffSleep = nil
            promise.succeed(())
        }
        self.backoffSleep = (scheduled, promise)
        return promise.futureResult
    }

    /// After the run loop ended: finish the message stream and report `.shutdown`.
    func finish() {
        self.eventLoop.assertInEventLoop()
        if !self.shutdownRequested { self.requestShutdown() }
        self.messages.finish()
        self.states.update(.shutdown)
    }

    // MARK: Actions

    private func run(_ action: MQTTSessionStateMachine.Action) {
        switch action {
        case .none:
            break
        case .write(let packet):
            self.write(packet)
        case .writePublish(let publish, let promise):
            self.write(.publish(publish))
            promise?.succeed(())
        case .writeMany(let packets):
            for packet in packets { self.write(packet) }
            self.publishState()
        case .failPublish(let promise, let error):
            promise?.fail(error)
        case .failSubscribe(let promise, let error):
            promise?.fail(error)
        case .failUnsubscribe(let promise, let error):
            promise?.fail(error)
        case .deliver(let message):
            self.pendingDeliveries.append(message)
        case .completePublish(let promise, let result, let next):
            if let next { self.write(.publish(next)) }
            promise?.completeWith(result.mapError { $0 as any Error })
        case .completeSubscribe(let promise, let results, let filters):
            for (filter, result) in zip(filters, results) where !result.isGranted {
                self.logger.error("MQTT subscription refused", metadata: ["mqtt.topic_filter": "\(filter)", "mqtt.result": "\(result)"])
            }
            // State first: a caller resumed by the promise must already see the subscription active.
            self.publishState()
            promise?.succeed(results)
        case .completeUnsubscribe(let promise, let result):
            promise?.completeWith(result.mapError { $0 as any Error })
        case .closeConnection(let error, let reason):
            self.closeConnection(error, disconnectReason: reason)
        case .connectionClosed(let outcome):
            self.lastOutcome = outcome
            switch outcome {
            case .closedAfterConnAck(let error):
                self.logger.info("MQTT connection closed", metadata: error.map { ["error": "\($0)"] } ?? [:])
            case .failedBeforeConnAck(let error):
                self.logger.info("MQTT connection attempt failed", metadata: ["error": "\(error)"])
            }
        case .shutdown(let promises, let disconnect):
            let error = MQTTError(.clientShutdown, "the client is shut down")
            for pending in promises {
                switch pending {
                case .publish(let promise): promise.fail(error)
                case .subscribe(let promise): promise.fail(error)
                case .unsubscribe(let promise): promise.fail(error)
                }
            }
            if disconnect, self.connection != nil {
                self.write(.disconnect(.init(reasonCode: 0)))
                self.flush()
            }
            self.connection?.close()
            self.publishState()
        }
    }

    private func deliverPending() {
        guard !self.pendingDeliveries.isEmpty else { return }
        // The messages of one socket read as one element: a consumer wakes once per read, not once per message.
        self.messages.yield(self.pendingDeliveries)
        self.pendingDeliveries = []
    }

    private func closeConnection(_ error: MQTTError, disconnectReason: UInt8?) {
        guard let connection = self.connection else { return }
        if self.closeError == nil { self.closeError = error }
        if let disconnectReason, self.encoder.version == .v5 {
            self.write(.disconnect(.init(reasonCode: disconnectReason)))
        }
        self.flush()
        connection.close()
    }

    // MARK: Writing

    private func write(_ packet: MQTTPacket) {
        guard let connection = self.connection else { return }
        if self.pendingWrites == nil {
            self.pendingWrites = connection.allocator.buffer(capacity: 1024)
        }
        self.encoder.encode(packet, into: &self.pendingWrites!)
        if !self.flushScheduled {
            self.flushScheduled = true
            self.eventLoop.execute { [self] in self.flush() }
        }
    }

    private func flush() {
        self.flushScheduled = false
        guard let buffer = self.pendingWrites, let connection = self.connection else { return }
        self.pendingWrites = nil
        connection.writeAndFlush(buffer)
        self.stateMachine.didSend(now: .now())
    }

    func flushPendingWrites() { self.flush() }

    func closeTransport() { self.connection?.close() }

    // MARK: Keep-alive and state

    private func startKeepAlive() {
        guard let keepAlive = self.stateMachine.effectiveKeepAlive else { return }
        let interval = TimeAmount.nanoseconds(max(keepAlive.nanoseconds / 4, TimeAmount.milliseconds(50).nanoseconds))
        self.keepAliveTask = self.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [self] _ in
            self.run(self.stateMachine.keepAliveTick(now: .now(), readsHeld: self.heldRead))
        }
    }

    private func publishState() {
        self.states.update(self.stateMachine.publicState)
    }
}
