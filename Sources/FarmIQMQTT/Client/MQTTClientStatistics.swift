import Synchronization

/// Connection events of an ``MQTTClient`` since it was created, for metrics and alerts.
public final class MQTTClientStatistics: Sendable {
    /// Connections that closed after their CONNACK.
    public let connectionsLost = Atomic<Int>(0)
    /// Connections the broker closed because another client connected with the same client id
    /// (DISCONNECT 0x8E): two gateways configured with one client id.
    public let sessionTakeovers = Atomic<Int>(0)
    /// Reports of connections closing again and again within the healthy duration (see
    /// ``MQTTClientConfiguration/healthyConnectionDuration``).
    public let unstableConnections = Atomic<Int>(0)
    /// Reconnects where the broker had no session for this client although it asked to resume one: what the
    /// broker queued meanwhile is lost.
    public let sessionsLost = Atomic<Int>(0)

    init() {}
}
