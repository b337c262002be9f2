// FarmIQ's own MQTT 5 / 3.1.1 client on SwiftNIO, built for deferred acknowledgement.
//
// Design
// - Layers: `Codec/` (pure packet encoder/decoder, typed `MQTTError`, PUBLISH payloads are ByteBuffer
//   slices), `Session/` (value-type `MQTTSessionStateMachine` returning actions; `MQTTSessionHandler`
//   executes them on ONE event loop chosen at init; `MQTTChannelHandler` is the pipeline end),
//   `Client/` (this `Service`, configuration, public types).
// - The session object outlives connections: outgoing QoS 1 in flight, the queue beyond the broker's
//   Receive Maximum, packet ids and stored subscriptions survive reconnects. After CONNACK with a
//   session, in-flight publishes are resent with DUP; without one, they are sent again as new and all
//   stored subscriptions are re-established.
// - Incoming QoS 1 is never acknowledged by the client itself: `acknowledge(_:)` sends the PUBACK
//   whenever the application decides. Tokens carry the connection generation; acks for an older
//   connection are dropped (the broker redelivers those messages after the session resumes).
// - All channel I/O happens on the session's event loop. Writes are encoded into one pending buffer
//   and flushed once per loop tick or `channelReadComplete` (coalescing PUBLISH and PUBACK writes).
//   No locks on the message path, except the ones inside `AsyncStream` and `EventLoop.execute`.
// - `run()` reconnects with exponential backoff + full jitter; MQTT 5 falls back to 3.1.1.
// Limits
// - No QoS 2 (refused both ways), no will message, no topic aliases, no AUTH/enhanced auth.
// - Flow control: the broker should send at most Receive Maximum unacknowledged QoS 1 messages; the
//   client also holds socket reads while that many are unacknowledged (Mosquitto 2.0.11 sends more).
//   While reads are held nothing else is read either (SUBACK, PUBACK, PINGRESP): an application must
//   consume and acknowledge messages without first waiting on its own subscribe or publish.
// - QoS 0 publish needs a live connection (fails with `.notConnected`); QoS 1 publish waits for one.
// - Shutdown fails pending publishes with `.clientShutdown` (they may still have reached the broker).

import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// An MQTT 5 / 3.1.1 client with deferred (application-driven) QoS 1 acknowledgement.
///
/// Run it as a `Service` (e.g. in a `ServiceGroup`); it connects, keeps the connection alive and
/// reconnects until the task is cancelled or graceful shutdown is triggered, then sends DISCONNECT.
public final class MQTTClient: Service, Sendable {
    /// The configuration the client was created with.
    public let configuration: MQTTClientConfiguration
    /// Inbound messages for the client's whole lifetime, in batches: the messages decoded from one socket read,
    /// in order. Finishes when the client stops. Read either this or ``messages``, not both.
    public let messageBatches: AsyncStream<[MQTTMessage]>

    /// Inbound messages one by one (``messageBatches`` flattened); finishes when the client stops.
    public var messages: MQTTMessageSequence { MQTTMessageSequence(batches: messageBatches) }

    /// Counts of connection events since the client was created.
    public let statistics = MQTTClientStatistics()

    let eventLoop: any EventLoop
    let session: MQTTSessionHandler
    private let states: MQTTConnectionStateBroadcaster
    let logger: Logger
    private let runState: MQTTRunState
    var runStateForRun: MQTTRunState { self.runState }

    /// Creates a client. Nothing happens until ``run()``.
    public init(
        configuration: MQTTClientConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        var logger = logger
        logger[metadataKey: "mqtt.client_id"] = "\(configuration.clientID)"
        self.configuration = configuration
        self.logger = logger
        self.eventLoop = eventLoopGroup.next()
        let (stream, continuation) = AsyncStream.makeStream(of: [MQTTMessage].self, bufferingPolicy: .unbounded)
        self.messageBatches = stream
        self.states = MQTTConnectionStateBroadcaster()
        self.runState = MQTTRunState(eventLoop: self.eventLoop)
        self.session = MQTTSessionHandler(
            eventLoop: self.eventLoop,
            configuration: MQTTSessionStateMachine.Configuration(
                clientID: configuration.clientID,
                username: configuration.username,
                password: configuration.password.map { Array($0.utf8) },
                keepAlive: TimeAmount(configuration.keepAlive),
                cleanStart: configuration.cleanStart,
                sessionExpirySeconds: UInt32(clamping: configuration.sessionExpiry.components.seconds),
                receiveMaximum: max(1, configuration.receiveMaximum),
                maximumUnacknowledgedBytes: max(1, configuration.maximumUnacknowledgedBytes),
                maximumIncomingPacketSize: max(configuration.advertisedMaximumPacketSize, configuration.maximumPacketSize),
                maximumOutgoingInFlight: max(1, configuration.maximumOutgoingInFlight),
                pingTimeout: TimeAmount(configuration.pingTimeout)
            ),
            connectTimeout: TimeAmount(configuration.connectTimeout),
            messages: continuation,
            states: self.states,
            statistics: self.statistics,
            logger: logger
        )
    }

    // MARK: Connection state

    /// The current connection state.
    public var connectionState: MQTTConnectionState { self.states.state }

    /// Whether a CONNACK has been accepted on the current connection.
    public var isConnected: Bool { self.states.state.isConnected }

    /// Whether the client is connected and every stored subscription is acknowledged by the broker.
    public var isSubscriptionActive: Bool {
        if case .connected(_, true) = self.states.state { return true }
        return false
    }

    /// A new stream of connection states: the current state first, then every change. It finishes
    /// after ``MQTTConnectionState/shutdown``. Each access creates an independent stream.
    public var connectionStates: AsyncStream<MQTTConnectionState> { self.states.makeStream() }

    /// Waits until the client is connected. Throws ``MQTTError/Code-swift.struct/clientShutdown`` if
    /// the client stops first, or `CancellationError` if the task is cancelled.
    public func waitUntilConnected() async throws {
        for await state in self.connectionStates {
            if state.isConnected { return }
            if state == .shutdown { break }
        }
        try Task.checkCancellation()
        throw MQTTError(.clientShutdown, "the client stopped before connecting")
    }

    // MARK: Messaging

    /// Publishes a message. QoS 0 returns once written (fails if not connected); QoS 1 returns after
    /// the broker's PUBACK and throws ``MQTTError`` `.publishFailed` when the PUBACK carries a
    /// failure reason code. QoS 1 messages wait for a connection and for a slot in the broker's
    /// Receive Maximum window. Safe to call concurrently from many tasks.
    public func publish(topic: String, payload: ByteBuffer, qos: MQTTQoS, retain: Bool = false) async throws {
        let promise = self.eventLoop.makePromise(of: Void.self)
        let packet = MQTTPacket.Publish(topic: topic, payload: payload, qos: qos, retain: retain)
        let session = self.session
        self.onEventLoop { session.publish(packet, promise: promise) }
        try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            self.onEventLoop { session.cancelPublish(promise) }
        }
    }

    /// Acknowledges a received message (sends its PUBACK). Cheap and non-blocking: the PUBACK is
    /// written on the event loop and flushed with others. No-op for QoS 0, for messages already
    /// acknowledged and for messages from an older connection (the broker redelivers those).
    public func acknowledge(_ message: MQTTMessage) {
        let token = message.ackToken
        guard token.packetID != 0 else { return }
        let session = self.session
        self.onEventLoop { session.acknowledge(token) }
    }

    /// Acknowledges many messages with one hop to the event loop and one flush.
    public func acknowledge(_ messages: some Sequence<MQTTMessage>) {
        var tokens: [MQTTAckToken] = []
        tokens.reserveCapacity(messages.underestimatedCount)
        for message in messages where message.ackToken.packetID != 0 { tokens.append(message.ackToken) }
        guard !tokens.isEmpty else { return }
        let session = self.session
        let batch = tokens
        self.onEventLoop {
            for token in batch { session.acknowledge(token) }
        }
    }

    /// Subscribes and returns the broker's answer per filter, in order. The subscriptions are
    /// stored and re-established after a reconnect without session; refused filters are forgotten.
    /// While disconnected, waits for the next connection.
    public func subscribe(_ subscriptions: [MQTTSubscription]) async throws -> [MQTTSubscribeResult] {
        let promise = self.eventLoop.makePromise(of: [MQTTSubscribeResult].self)
        let session = self.session
        self.onEventLoop { session.subscribe(subscriptions, promise: promise) }
        return try await promise.futureResult.get()
    }

    /// Unsubscribes and forgets the filters.
    public func unsubscribe(_ topicFilters: [String]) async throws {
        let promise = self.eventLoop.makePromise(of: Void.self)
        let session = self.session
        self.onEventLoop { session.unsubscribe(topicFilters, promise: promise) }
        try await promise.futureResult.get()
    }

    /// Graceful shutdown: fails pending requests, sends DISCONNECT, closes the connection, and waits
    /// until ``run()`` has returned (immediately if it never ran).
    public func disconnect() async {
        let session = self.session
        self.onEventLoop { session.requestShutdown() }
        await self.runState.waitUntilStopped(finishing: session)
    }

    // MARK: Helpers

    @inline(__always)
    private func onEventLoop(_ body: @escaping @Sendable () -> Void) {
        if self.eventLoop.inEventLoop {
            body()
        } else {
            self.eventLoop.execute(body)
        }
    }
}
