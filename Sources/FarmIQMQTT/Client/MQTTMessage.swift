import NIOCore

/// A message received from the broker (an inbound PUBLISH).
///
/// A QoS 1 message stays unacknowledged at the broker until the application passes it to
/// ``MQTTClient/acknowledge(_:)-(MQTTMessage)``; until then the broker redelivers it after a reconnect.
public struct MQTTMessage: Sendable {
    /// The topic the message was published to.
    public var topic: String
    /// The payload: a slice of the receive buffer, not a copy.
    public var payload: ByteBuffer
    /// The QoS the message was delivered with.
    public var qos: MQTTQoS
    /// The retain flag.
    public var retain: Bool
    /// The DUP flag: the broker may have delivered this message before.
    public var dup: Bool
    /// The token that acknowledges this message on the connection it arrived on.
    public let ackToken: MQTTAckToken
    /// Set when the message was larger than the client buffers (``MQTTClientConfiguration/maximumPacketSize``):
    /// its payload, this many bytes, was discarded as it arrived and ``payload`` is empty. It still needs
    /// acknowledging like any other message.
    public var discardedPayloadSize: Int?

    public init(
        topic: String, payload: ByteBuffer, qos: MQTTQoS, retain: Bool, dup: Bool, ackToken: MQTTAckToken, discardedPayloadSize: Int? = nil
    ) {
        self.discardedPayloadSize = discardedPayloadSize
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.dup = dup
        self.ackToken = ackToken
    }
}

/// An opaque acknowledgement token: the packet identifier of a received QoS 1 PUBLISH and the
/// connection generation it arrived on. An acknowledgement for an older connection is dropped,
/// because the broker redelivers the message after resuming the session.
public struct MQTTAckToken: Sendable, Hashable {
    /// The packet identifier; 0 for QoS 0 messages (nothing to acknowledge).
    let packetID: UInt16
    /// The connection generation the message arrived on.
    let generation: UInt32

    init(packetID: UInt16, generation: UInt32) {
        self.packetID = packetID
        self.generation = generation
    }

    /// The token of a QoS 0 message; acknowledging it does nothing.
    public static let none = MQTTAckToken(packetID: 0, generation: 0)
}
