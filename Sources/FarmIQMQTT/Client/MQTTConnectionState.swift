/// The connection state of an ``MQTTClient``, as seen by observers.
public enum MQTTConnectionState: Sendable, Hashable {
    /// `run()` has not been called yet.
    case idle
    /// A connection attempt is in progress (TCP/TLS, CONNECT sent, waiting for CONNACK).
    case connecting
    /// Connected: CONNACK accepted. `subscriptionsActive` is true once every stored subscription
    /// has been acknowledged by the broker on this session.
    case connected(sessionPresent: Bool, subscriptionsActive: Bool)
    /// The connection was lost; the client will reconnect after a backoff.
    case disconnected
    /// The client stopped (`run()` returned); it will not reconnect.
    case shutdown

    /// Whether the state is ``connected(sessionPresent:subscriptionsActive:)``.
    public var isConnected: Bool {
        if case .connected = self { return true }
        return false
    }
}
