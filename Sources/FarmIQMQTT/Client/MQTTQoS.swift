/// MQTT quality of service.
///
/// The client publishes and subscribes with QoS 0 or 1. QoS 2 exists for completeness of the codec;
/// publishing or subscribing with it is refused with ``MQTTError/Code-swift.struct/unsupported``.
public enum MQTTQoS: UInt8, Sendable, Hashable, Comparable {
    case atMostOnce = 0
    case atLeastOnce = 1
    case exactlyOnce = 2

    public static func < (lhs: MQTTQoS, rhs: MQTTQoS) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The MQTT protocol version spoken on a connection.
public enum MQTTProtocolVersion: UInt8, Sendable, Hashable {
    /// MQTT 3.1.1 (protocol level 4).
    case v311 = 4
    /// MQTT 5.0 (protocol level 5).
    case v5 = 5
}
