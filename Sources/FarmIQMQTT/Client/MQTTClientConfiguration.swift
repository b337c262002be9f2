import NIOSSL

/// Configuration of an ``MQTTClient``. Every field has a documented default except the broker
/// address and the client id.
public struct MQTTClientConfiguration: Sendable {
    /// Which protocol version to speak.
    public enum ProtocolVersionPreference: Sendable, Hashable {
        /// MQTT 5, falling back to 3.1.1 when the broker refuses 5 (CONNACK 0x84 / 0x01, or the
        /// connection closes before CONNACK). Once 3.1.1 worked it is kept for the client's life.
        case v5
        /// MQTT 3.1.1 only.
        case v311
    }

    /// Broker host name or IP address.
    public var host: String
    /// Broker port. Default 1883, or 8883 with TLS.
    public var port: Int
    /// Connect with TLS (`mqtts://`). Default false.
    public var useTLS: Bool
    /// PEM file of the CA(s) to trust for TLS. Default nil: the system trust store.
    public var caCertificatePath: String?
    /// A complete TLS configuration; overrides `caCertificatePath` when set. Default nil.
    public var tlsConfiguration: TLSConfiguration?
    /// Username. Default nil.
    public var username: String?
    /// Password. Default nil.
    public var password: String?
    /// The client identifier: stable across restarts so the broker resumes the session.
    public var clientID: String
    /// Keep-alive interval; a PINGREQ is sent after this much idle time. Default 30 s. Zero disables it.
    public var keepAlive: Duration
    /// How long to wait for a PINGRESP before the connection is considered dead. Default 10 s.
    public var pingTimeout: Duration
    /// Start a new session on every connect. Default false (resume the session: unacknowledged
    /// messages are redelivered, subscriptions kept).
    public var cleanStart: Bool
    /// MQTT 5 session expiry interval. Default 7 days.
    public var sessionExpiry: Duration
    /// MQTT 5 Receive Maximum: how many QoS 1 messages the broker may have in flight to us
    /// (i.e. delivered but not yet acknowledged by the application). Default 1024.
    public var receiveMaximum: UInt16
    /// Client-side flow control by size: the client stops reading from the socket while the application holds
    /// this many bytes (topic plus payload) of unacknowledged QoS 1 messages, whatever their count, so memory
    /// stays bounded when messages are large. Default 32 MiB.
    public var maximumUnacknowledgedBytes: Int
    /// Our own cap on outgoing QoS 1 messages in flight; the broker's Receive Maximum also
    /// applies (MQTT 5). Default 65,535.
    public var maximumOutgoingInFlight: Int
    /// The largest inbound packet buffered whole (fixed header included). A larger PUBLISH is
    /// discarded as it streams in and delivered with ``MQTTMessage/discardedPayloadSize`` set; a larger
    /// packet of another kind closes the connection. Default 256 KiB + 5.
    public var maximumPacketSize: Int
    /// The Maximum Packet Size announced to an MQTT 5 broker (at least ``maximumPacketSize``): the broker
    /// silently drops a message above it, so it leaves headroom above what the client buffers and above
    /// the broker's own `max_packet_size`. Default 16 MiB.
    public var advertisedMaximumPacketSize: Int
    /// A connection counts as healthy once it has lasted this long after CONNACK: only then does the
    /// reconnect backoff start again from ``minimumReconnectDelay``. Default 30 s.
    public var healthyConnectionDuration: Duration
    /// Protocol version preference. Default `.v5` with fallback.
    public var protocolVersion: ProtocolVersionPreference
    /// TCP (+TLS) connect and CONNACK timeout. Default 10 s.
    public var connectTimeout: Duration
    /// Shortest reconnect backoff. Default 100 ms.
    public var minimumReconnectDelay: Duration
    /// Longest reconnect backoff. Default 30 s.
    public var maximumReconnectDelay: Duration

    /// A configuration for `host:port`.
    public init(host: String, port: Int? = nil, useTLS: Bool = false, clientID: String) {
        self.host = host
        self.port = port ?? (useTLS ? 8883 : 1883)
        self.useTLS = useTLS
        self.caCertificatePath = nil
        self.tlsConfiguration = nil
        self.username = nil
        self.password = nil
        self.clientID = clientID
        self.keepAlive = .seconds(30)
        self.pingTimeout = .seconds(10)
        self.cleanStart = false
        self.sessionExpiry = .seconds(7 * 24 * 3600)
        self.receiveMaximum = 1024
        self.maximumUnacknowledgedBytes = 32 * 1024 * 1024
        self.maximumOutgoingInFlight = 65_535
        self.maximumPacketSize = MQTTPacketDecoder.defaultMaximumPacketSize
        self.advertisedMaximumPacketSize = 16 * 1024 * 1024
        self.healthyConnectionDuration = .seconds(30)
        self.protocolVersion = .v5
        self.connectTimeout = .seconds(10)
        self.minimumReconnectDelay = .milliseconds(100)
        self.maximumReconnectDelay = .seconds(30)
    }

    /// A configuration from a URL `mqtt://[user[:password]@]host[:port]` or `mqtts://…`.
    /// Credentials in the URL may be percent-encoded; explicit `username`/`password` win.
    public init(url: String, clientID: String, username: String? = nil, password: String? = nil) throws(MQTTError) {
        let parsed = try MQTTBrokerURL(url)
        self.init(host: parsed.host, port: parsed.port, useTLS: parsed.useTLS, clientID: clientID)
        self.username = username ?? parsed.username
        self.password = password ?? parsed.password
    }
}

/// A parsed `mqtt://` / `mqtts://` URL.
struct MQTTBrokerURL: Sendable, Equatable {
    var useTLS: Bool
    var host: String
    var port: Int?
    var username: String?
    var password: String?

    init(_ url: String) throws(MQTTError) {
        func invalid(_ reason: String) -> MQTTError {
            MQTTError(.invalidConfiguration, "invalid MQTT URL: \(reason)")
        }
        var rest = Substring(url)
        if rest.hasPrefix("mqtt://") {
            self.useTLS = false
            rest = rest.dropFirst(7)
        } else if rest.hasPrefix("mqtts://") {
            self.useTLS = true
            rest = rest.dropFirst(8)
        } else {
            throw invalid("scheme must be mqtt:// or mqtts://")
        }
        if let slash = rest.firstIndex(of: "/") {
            guard rest[slash...].allSatisfy({ $0 == "/" }) else { throw invalid("a path is not allowed") }
            rest = rest[..<slash]
        }
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                self.username = try Self.percentDecoded(credentials[..<colon])
                self.password = try Self.percentDecoded(credentials[credentials.index(after: colon)...])
            } else {
                self.username = try Self.percentDecoded(credentials)
            }
        }
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw invalid("unterminated IPv6 address") }
            self.host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("unexpected text after the IPv6 address") }
                portText = after.dropFirst()
            }
        } else if let colon = rest.firstIndex(of: ":") {
            self.host = String(rest[..<colon])
            portText = rest[rest.index(after: colon)...]
        } else {
            self.host = String(rest)
        }
        guard !self.host.isEmpty else { throw invalid("missing host") }
        if let portText {
            guard let port = Int(portText), (1...65_535).contains(port) else { throw invalid("bad port '\(portText)'") }
            self.port = port
        }
    }

    private static func percentDecoded(_ text: Substring) throws(MQTTError) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next(), let low = iterator.next(),
                      let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
                else { throw MQTTError(.invalidConfiguration, "invalid MQTT URL: bad percent-encoding") }
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
