import NIOCore

/// The MQTT session as a value-type state machine: connection states, packet ids, outgoing QoS 1
/// in-flight window, deferred acknowledgement of incoming QoS 1, subscriptions, keep-alive.
///
/// It performs no I/O: every event returns an ``Action`` that the caller (``MQTTSessionHandler``)
/// executes on the event loop. Promises are carried through opaquely.
///
/// Connection states: `idle`/`disconnected` → `connecting` (CONNECT sent) → `connected`
/// (CONNACK accepted) → `disconnected` … → `shutdown`.
struct MQTTSessionStateMachine {
    struct Configuration: Sendable {
        var clientID: String
        var username: String?
        var password: [UInt8]?
        var keepAlive: TimeAmount
        var cleanStart: Bool
        var sessionExpirySeconds: UInt32
        var receiveMaximum: UInt16
        /// Client-side flow control by size: reads are held while the application holds this many bytes of
        /// unacknowledged QoS 1 messages (topic plus payload), whatever their count.
        var maximumUnacknowledgedBytes: Int = .max
        /// Sent to an MQTT 5 broker as Maximum Packet Size: above it the broker drops a message for us without
        /// a trace, so it is larger than what the client buffers (larger PUBLISHes are discarded as they stream
        /// in and handed to the application to acknowledge and record).
        var maximumIncomingPacketSize: Int
        /// Our own cap on outgoing QoS 1 in flight (the only cap with MQTT 3.1.1).
        var maximumOutgoingInFlight: Int
        /// How long to wait for PINGRESP.
        var pingTimeout: TimeAmount
    }

    enum State {
        case disconnected
        case connecting(MQTTProtocolVersion)
        case connected(Connected)
        case shutdown
    }

    struct Connected {
        var version: MQTTProtocolVersion
        var sessionPresent: Bool
        var keepAlive: TimeAmount
        var outgoingLimit: Int
        var maximumOutgoingPacketSize: Int
        var lastSend: NIODeadline
        var pingSentAt: NIODeadline?
    }

    struct OutgoingPublish {
        var packet: MQTTPacket.Publish
        var promise: EventLoopPromise<Void>?
        var sequence: UInt64
    }

    struct SubscribeRequest {
        var subscriptions: [MQTTSubscription]
        var promise: EventLoopPromise<[MQTTSubscribeResult]>?
    }

    struct UnsubscribeRequest {
        var topicFilters: [String]
        var promise: EventLoopPromise<Void>?
    }

    /// How a connection ended, for the reconnect loop.
    enum ConnectionOutcome: Sendable {
        /// CONNACK accepted, later closed.
        case closedAfterConnAck(MQTTError?)
        /// Closed before a successful CONNACK (refused, timed out, or the TCP connection dropped).
        case failedBeforeConnAck(MQTTError)
    }

    /// A promise to fail when the client shuts down.
    enum PendingPromise {
        case publish(EventLoopPromise<Void>)
        case subscribe(EventLoopPromise<[MQTTSubscribeResult]>)
        case unsubscribe(EventLoopPromise<Void>)
    }

    enum Action {
        case none
        /// Write one packet.
        case write(MQTTPacket)
        /// Write a PUBLISH; succeed `promise` (QoS 0) once written.
        case writePublish(MQTTPacket.Publish, succeed: EventLoopPromise<Void>?)
        /// Write several packets (CONNACK follow-ups).
        case writeMany([MQTTPacket])
        /// Fail a publish promise.
        case failPublish(EventLoopPromise<Void>?, MQTTError)
        /// Fail a subscribe promise.
        case failSubscribe(EventLoopPromise<[MQTTSubscribeResult]>?, MQTTError)
        /// Fail an unsubscribe promise.
        case failUnsubscribe(EventLoopPromise<Void>?, MQTTError)
        /// Hand an inbound message to the application.
        case deliver(MQTTMessage)
        /// A PUBACK arrived: complete the publish and write the next queued one, if any.
        case completePublish(EventLoopPromise<Void>?, Result<Void, MQTTError>, next: MQTTPacket.Publish?)
        /// A SUBACK arrived.
        case completeSubscribe(EventLoopPromise<[MQTTSubscribeResult]>?, [MQTTSubscribeResult], topicFilters: [String])
        /// An UNSUBACK arrived.
        case completeUnsubscribe(EventLoopPromise<Void>?, Result<Void, MQTTError>)
        /// Close the connection, after a DISCONNECT with this reason code if given (MQTT 5).
        case closeConnection(MQTTError, disconnectReason: UInt8?)
        /// The connection is gone: report the outcome.
        case connectionClosed(ConnectionOutcome)
        /// The client stopped: fail these promises; send DISCONNECT and close if connected.
        case shutdown([PendingPromise], disconnect: Bool)
    }

    var state: State = .disconnected
    var configuration: Configuration
    /// Incremented for every connection; part of every ack token.
    var generation: UInt32 = 0
    /// The client id the broker assigned (when ours was empty).
    var assignedClientID: String?
    var lastConnectError: MQTTError?

    var packetIDs = MQTTPacketIDAllocator()
    var inFlight: [UInt16: OutgoingPublish] = [:]
    var queued = CircularBuffer<OutgoingPublish>()
    var nextSequence: UInt64 = 0
    var unackedIncoming = MQTTPacketIDSet()
    /// Topic plus payload bytes of each unacknowledged incoming QoS 1 message, by packet id (valid while the id
    /// is in `unackedIncoming`), and their sum.
    var unackedIncomingSizes = [UInt32](repeating: 0, count: 65_536)
    var unackedIncomingBytes = 0

    /// The stored subscriptions, re-established when the broker has no session.
    var subscriptions: [MQTTSubscription] = []
    var unsentSubscribes: [SubscribeRequest] = []
    var inFlightSubscribes: [UInt16: SubscribeRequest] = [:]
    var unsentUnsubscribes: [UnsubscribeRequest] = []
    var inFlightUnsubscribes: [UInt16: UnsubscribeRequest] = [:]

    init(configuration: Configuration) {
        self.configuration = configuration
    }

    // MARK: Observation

    var isConnected: Bool {
        if case .connected = self.state { return true }
        return false
    }

    var connectedVersion: MQTTProtocolVersion? {
        if case .connected(let connected) = self.state { return connected.version }
        return nil
    }

    var publicState: MQTTConnectionState {
        switch self.state {
        case .disconnected: return self.generation == 0 ? .idle : .disconnected
        case .connecting: return .connecting
        case .connected(let connected):
            let active = self.unsentSubscribes.isEmpty && self.inFlightSubscribes.isEmpty
            return .connected(sessionPresent: connected.sessionPresent, subscriptionsActive: active)
        case .shutdown: return .shutdown
        }
    }

    var outgoingInFlightCount: Int { self.inFlight.count }
    var outgoingQueuedCount: Int { self.queued.count }
    var unacknowledgedIncomingCount: Int { self.unackedIncoming.count }

    // MARK: Connection lifecycle

    /// The transport is up: send CONNECT with `version`.
    mutating func connectionEstablished(version: MQTTProtocolVersion) -> Action {
        guard case .disconnected = self.state else {
            return .closeConnection(MQTTError(.protocolError, "connection established while \(self.state)"), disconnectReason: nil)
        }
        self.generation &+= 1
        self.lastConnectError = nil
        self.state = .connecting(version)
        var connect = MQTTPacket.Connect(
            version: version,
            clientID: self.configuration.clientID,
            cleanStart: self.configuration.cleanStart,
            keepAliveSeconds: UInt16(clamping: self.configuration.keepAlive.nanoseconds / 1_000_000_000),
            username: self.configuration.username,
            password: self.configuration.password
        )
        if version == .v5 {
            connect.properties.sessionExpiryInterval = self.configuration.sessionExpirySeconds
            connect.properties.receiveMaximum = self.configuration.receiveMaximum
            connect.properties.maximumPacketSize = UInt32(clamping: self.configuration.maximumIncomingPacketSize)
        }
        return .write(.connect(connect))
    }

    mutating func connAckReceived(_ connack: MQTTPacket.ConnAck, now: NIODeadline) -> Action {
        guard case .connecting(let version) = self.state else {
            return .closeConnection(MQTTError(.protocolError, "unexpected CONNACK"), disconnectReason: 0x82)
        }
        guard connack.reasonCode == 0 else {
            let error: MQTTError
            switch (version, connack.reasonCode) {
            case (.v311, 0x01), (.v5, 0x84), (.v5, 0x01):
                error = MQTTError(.unsupportedProtocolVersion, "broker refused MQTT \(version == .v5 ? "5" : "3.1.1")", reasonCode: connack.reasonCode)
            default:
                error = MQTTError(.connectionRefused, "broker refused the connection", reasonCode: connack.reasonCode)
            }
            self.lastConnectError = error
            return .closeConnection(error, disconnectReason: nil)
        }
        let properties = connack.properties
        if let assigned = properties.assignedClientIdentifier { self.assignedClientID = assigned }
        var keepAlive = self.configuration.keepAlive
        if let serverKeepAlive = properties.serverKeepAlive { keepAlive = .seconds(Int64(serverKeepAlive)) }
        let brokerReceiveMaximum = Int(properties.receiveMaximum ?? UInt16.max)
        let connected = Connected(
            version: version,
            sessionPresent: connack.sessionPresent,
            keepAlive: keepAlive,
            outgoingLimit: max(1, min(brokerReceiveMaximum, self.configuration.maximumOutgoingInFlight)),
            maximumOutgoingPacketSize: Int(properties.maximumPacketSize ?? 268_435_460),
            lastSend: now,
            pingSentAt: nil
        )
        self.state = .connected(connected)
        return .writeMany(self.packetsAfterConnAck(connected))
    }

    /// Resend / send everything waiting, in order: in-flight publishes, queued publishes,
    /// subscriptions (all of them, every time), unsubscribes.
    private mutating func packetsAfterConnAck(_ connected: Connected) -> [MQTTPacket] {
        var packets: [MQTTPacket] = []
        // In-flight QoS 1 publishes, in their original order. With a session they are resent with
        // DUP; without one the broker never saw them as ours: send them again as new.
        var resend = self.inFlight.values.sorted { $0.sequence < $1.sequence }
        if resend.count > connected.outgoingLimit {
            // The broker's window shrank: put the newest back at the head of the queue.
            for publish in resend[connected.outgoingLimit...].reversed() {
                self.inFlight[publish.packet.packetID] = nil
                self.packetIDs.release(publish.packet.packetID)
                var requeued = publish
                requeued.packet.packetID = 0
                requeued.packet.dup = false
                self.queued.prepend(requeued)
            }
            resend.removeLast(resend.count - connected.outgoingLimit)
        }
        for var publish in resend {
            publish.packet.dup = connected.sessionPresent
            self.inFlight[publish.packet.packetID] = publish
            packets.append(.publish(publish.packet))
        }
        while let next = self.dequeueNextPublish() { packets.append(.publish(next)) }

        // Subscriptions are re-sent after every connect, session or not: SUBSCRIBE of an existing
        // subscription only replaces it, and Mosquitto 2.0 restores a persisted session without its
        // shared subscriptions ($share/…), which would leave a resumed gateway receiving nothing.
        if !self.subscriptions.isEmpty {
            if let id = self.packetIDs.allocate() {
                let request = SubscribeRequest(subscriptions: self.subscriptions, promise: nil)
                self.inFlightSubscribes[id] = request
                packets.append(.subscribe(.init(packetID: id, subscriptions: request.subscriptions)))
            }
        }
        while !self.unsentSubscribes.isEmpty, let id = self.packetIDs.allocate() {
            let request = self.unsentSubscribes.removeFirst()
            self.inFlightSubscribes[id] = request
            packets.append(.subscribe(.init(packetID: id, subscriptions: request.subscriptions)))
        }
        while !self.unsentUnsubscribes.isEmpty, let id = self.packetIDs.allocate() {
            let request = self.unsentUnsubscribes.removeFirst()
            self.inFlightUnsubscribes[id] = request
            packets.append(.unsubscribe(.init(packetID: id, topicFilters: request.topicFilters)))
        }
        return packets
    }

    /// The CONNACK did not arrive in time.
    mutating func connAckTimedOut() -> Action {
        guard case .connecting = self.state else { return .none }
        let error = MQTTError(.timeout, "no CONNACK in time")
        self.lastConnectError = error
        return .closeConnection(error, disconnectReason: nil)
    }

    /// The transport closed (for whatever reason).
    mutating func connectionClosed(error: MQTTError?) -> Action {
        let outcome: ConnectionOutcome
        switch self.state {
        case .connecting:
            outcome = .failedBeforeConnAck(self.lastConnectError ?? error ?? MQTTError(.connectionClosed, "connection closed before CONNACK"))
            self.state = .disconnected
        case .connected:
            outcome = .closedAfterConnAck(error)
            self.state = .disconnected
        case .disconnected:
            outcome = .failedBeforeConnAck(error ?? MQTTError(.connectionClosed, "connection closed"))
        case .shutdown:
            outcome = .closedAfterConnAck(error)
        }
        // Messages received on this connection can no longer be acknowledged; the broker
        // redelivers them on the next connection (session resume) — their tokens are now stale.
        self.unackedIncoming.removeAll()
        self.unackedIncomingBytes = 0
        // SUBSCRIBE / UNSUBSCRIBE without answer: send again on the next connection.
        for id in self.inFlightSubscribes.keys.sorted() {
            self.packetIDs.release(id)
            self.unsentSubscribes.append(self.inFlightSubscribes[id]!)
        }
        self.inFlightSubscribes.removeAll()
        for id in self.inFlightUnsubscribes.keys.sorted() {
            self.packetIDs.release(id)
            self.unsentUnsubscribes.append(self.inFlightUnsubscribes[id]!)
        }
        self.inFlightUnsubscribes.removeAll()
        // Outgoing QoS 1 in flight keep their ids and are resent after CONNACK.
        return .connectionClosed(outcome)
    }

    /// Stop for good: fail everything pending; DISCONNECT if connected.
    mutating func shutdown() -> Action {
        if case .shutdown = self.state { return .none }
        let wasConnected = self.isConnected || { if case .connecting = self.state { return true }; return false }()
        self.state = .shutdown
        var promises: [PendingPromise] = []
        for publish in self.inFlight.values.sorted(by: { $0.sequence < $1.sequence }) {
            if let promise = publish.promise { promises.append(.publish(promise)) }
        }
        for publish in self.queued { if let promise = publish.promise { promises.append(.publish(promise)) } }
        for request in self.inFlightSubscribes.values { if let promise = request.promise { promises.append(.subscribe(promise)) } }
        for request in self.unsentSubscribes { if let promise = request.promise { promises.append(.subscribe(promise)) } }
        for request in self.inFlightUnsubscribes.values { if let promise = request.promise { promises.append(.unsubscribe(promise)) } }
        for request in self.unsentUnsubscribes { if let promise = request.promise { promises.append(.unsubscribe(promise)) } }
        self.inFlight.removeAll()
        self.queued.removeAll()
        self.inFlightSubscribes.removeAll()
        self.unsentSubscribes.removeAll()
        self.inFlightUnsubscribes.removeAll()
        self.unsentUnsubscribes.removeAll()
        self.unackedIncoming.removeAll()
        self.unackedIncomingBytes = 0
        return .shutdown(promises, disconnect: wasConnected)
    }

    var isShutdown: Bool {
        if case .shutdown = self.state { return true }
        return false
    }
}
