/// One topic filter to subscribe to.
public struct MQTTSubscription: Sendable, Hashable {
    /// What the broker does with retained messages when the subscription is made (MQTT 5 only).
    public enum RetainHandling: UInt8, Sendable, Hashable {
        case sendOnSubscribe = 0
        case sendOnNewSubscribe = 1
        case doNotSend = 2
    }

    /// The topic filter, e.g. `farmiq/v1/+/+/+/+/telemetry` or `$share/gateway/farmiq/v1/#`.
    public var topicFilter: String
    /// The maximum QoS the broker may deliver with (0 or 1).
    public var qos: MQTTQoS
    /// MQTT 5: do not deliver this client's own publications.
    public var noLocal: Bool
    /// MQTT 5: keep the retain flag as published.
    public var retainAsPublished: Bool
    /// MQTT 5: retained message handling.
    public var retainHandling: RetainHandling

    public init(
        topicFilter: String,
        qos: MQTTQoS = .atLeastOnce,
        noLocal: Bool = false,
        retainAsPublished: Bool = false,
        retainHandling: RetainHandling = .sendOnSubscribe
    ) {
        self.topicFilter = topicFilter
        self.qos = qos
        self.noLocal = noLocal
        self.retainAsPublished = retainAsPublished
        self.retainHandling = retainHandling
    }

    /// A shared subscription `$share/{group}/{filter}`: the broker spreads the messages over the
    /// group's members.
    public static func shared(group: String, topicFilter: String, qos: MQTTQoS = .atLeastOnce) -> MQTTSubscription {
        MQTTSubscription(topicFilter: "$share/\(group)/\(topicFilter)", qos: qos)
    }
}

/// The broker's answer for one topic filter of a SUBSCRIBE.
public enum MQTTSubscribeResult: Sendable, Hashable {
    /// The subscription is active with this maximum QoS.
    case granted(MQTTQoS)
    /// The broker refused the filter with this reason code (≥ 0x80; 0x80 in MQTT 3.1.1).
    case failed(reasonCode: UInt8)

    /// Whether the subscription was granted.
    public var isGranted: Bool {
        if case .granted = self { return true }
        return false
    }

    init(reasonCode: UInt8) {
        switch reasonCode {
        case 0: self = .granted(.atMostOnce)
        case 1: self = .granted(.atLeastOnce)
        case 2: self = .granted(.exactlyOnce)
        default: self = .failed(reasonCode: reasonCode)
        }
    }
}
