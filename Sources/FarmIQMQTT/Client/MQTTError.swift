/// An error of the MQTT client: a stable ``code``, a message that is safe to log, and, where there
/// is one, the MQTT reason code sent by the broker and the underlying cause.
///
/// Every failure of the codec, the session and the client is reported as an `MQTTError`; malformed
/// input never traps.
public struct MQTTError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure. Compare against the static members, e.g. `error.code == .malformedPacket`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let raw: String
        private init(_ raw: String) { self.raw = raw }
        public var description: String { self.raw }

        /// The bytes received are not a valid MQTT packet.
        public static let malformedPacket = Code("malformed_packet")
        /// A packet is valid on its own but not allowed in the current protocol state.
        public static let protocolError = Code("protocol_error")
        /// A packet is larger than the configured or negotiated maximum packet size.
        public static let packetTooLarge = Code("packet_too_large")
        /// The broker refused the protocol version.
        public static let unsupportedProtocolVersion = Code("unsupported_protocol_version")
        /// The broker refused the connection (CONNACK with a failure code).
        public static let connectionRefused = Code("connection_refused")
        /// The connection closed (or was never established).
        public static let connectionClosed = Code("connection_closed")
        /// The TCP or TLS connection could not be opened or failed with an I/O error.
        public static let transportError = Code("transport_error")
        /// The broker did not answer a PINGREQ or the CONNECT in time.
        public static let timeout = Code("timeout")
        /// The broker answered a PUBLISH with a failure reason code (≥ 0x80).
        public static let publishFailed = Code("publish_failed")
        /// The broker rejected an UNSUBSCRIBE.
        public static let unsubscribeFailed = Code("unsubscribe_failed")
        /// A topic name or topic filter is not valid.
        public static let invalidTopic = Code("invalid_topic")
        /// The request is not supported by this client (e.g. publishing with QoS 2).
        public static let unsupported = Code("unsupported")
        /// The configuration is invalid (e.g. a bad URL).
        public static let invalidConfiguration = Code("invalid_configuration")
        /// The client has been shut down; no further operations are possible.
        public static let clientShutdown = Code("client_shutdown")
        /// `run()` was called while the client is already running or after it stopped.
        public static let alreadyRunning = Code("already_running")
        /// The operation needs a connection and there is none (QoS 0 publish while disconnected).
        public static let notConnected = Code("not_connected")
    }

    /// The kind of failure.
    public var code: Code
    /// A human readable description, safe to log (never contains payload bytes).
    public var message: String
    /// The MQTT reason code (MQTT 5) or return code (3.1.1) involved, if any.
    public var reasonCode: UInt8?
    /// The underlying error, if any.
    public var underlying: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, reasonCode: UInt8? = nil, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.reasonCode = reasonCode
        self.underlying = underlying
    }

    public var description: String {
        var text = "MQTTError(\(self.code)): \(self.message)"
        if let reasonCode { text += " [reason 0x\(String(reasonCode, radix: 16))]" }
        if let underlying { text += " caused by \(underlying)" }
        return text
    }

    static func malformed(_ message: String) -> MQTTError { MQTTError(.malformedPacket, message) }
}
