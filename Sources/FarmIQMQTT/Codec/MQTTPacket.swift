import NIOCore

/// An MQTT control packet, as decoded from or encoded to the wire (MQTT 5 and 3.1.1).
///
/// Fields that exist only in MQTT 5 (reason codes, properties) are ignored when encoding for 3.1.1.
enum MQTTPacket: Sendable, Equatable {
    case connect(Connect)
    case connack(ConnAck)
    case publish(Publish)
    case puback(PubAck)
    case subscribe(Subscribe)
    case suback(SubAck)
    case unsubscribe(Unsubscribe)
    case unsuback(UnsubAck)
    case pingreq
    case pingresp
    case disconnect(Disconnect)

    /// The control packet type (high nibble of the first byte).
    enum PacketType: UInt8, Sendable {
        case connect = 1, connack, publish, puback, pubrec, pubrel, pubcomp
        case subscribe, suback, unsubscribe, unsuback, pingreq, pingresp, disconnect, auth
    }

    struct Connect: Sendable, Equatable {
        var version: MQTTProtocolVersion
        var clientID: String
        var cleanStart: Bool
        var keepAliveSeconds: UInt16
        var username: String?
        var password: [UInt8]?
        var properties: MQTTProperties = MQTTProperties()
    }

    struct ConnAck: Sendable, Equatable {
        var sessionPresent: Bool
        /// MQTT 5 reason code or MQTT 3.1.1 return code; 0 is success in both.
        var reasonCode: UInt8
        var properties: MQTTProperties = MQTTProperties()
    }

    struct Publish: Sendable, Equatable {
        var topic: String
        var payload: ByteBuffer
        var qos: MQTTQoS
        var retain: Bool = false
        var dup: Bool = false
        /// 0 for QoS 0.
        var packetID: UInt16 = 0
        var properties: MQTTProperties = MQTTProperties()
        /// Set on a received PUBLISH larger than the client buffers: the payload (this many bytes) was
        /// discarded as it arrived and `payload` is empty.
        var discardedPayloadSize: Int? = nil
    }

    struct PubAck: Sendable, Equatable {
        var packetID: UInt16
        var reasonCode: UInt8 = 0
        var properties: MQTTProperties = MQTTProperties()
    }

    struct Subscribe: Sendable, Equatable {
        var packetID: UInt16
        var subscriptions: [MQTTSubscription]
        var properties: MQTTProperties = MQTTProperties()
    }

    struct SubAck: Sendable, Equatable {
        var packetID: UInt16
        var reasonCodes: [UInt8]
        var properties: MQTTProperties = MQTTProperties()
    }

    struct Unsubscribe: Sendable, Equatable {
        var packetID: UInt16
        var topicFilters: [String]
        var properties: MQTTProperties = MQTTProperties()
    }

    struct UnsubAck: Sendable, Equatable {
        var packetID: UInt16
        /// MQTT 5 only; empty for 3.1.1.
        var reasonCodes: [UInt8]
        var properties: MQTTProperties = MQTTProperties()
    }

    struct Disconnect: Sendable, Equatable {
        var reasonCode: UInt8 = 0
        var properties: MQTTProperties = MQTTProperties()
    }
}
