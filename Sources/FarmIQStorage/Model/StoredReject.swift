import FarmIQCore

/// A row of `ingest_rejects`.
public struct StoredReject: Sendable, Hashable {
    /// `ingest_rejects.id`: larger is newer.
    public var id: Int64
    /// When the edge received the message (the edge's clock).
    public var receivedAt: Timestamp
    /// The MQTT topic as received, cut to its first 512 characters.
    public var topic: String
    /// The topic's tenant; `nil` when the topic is not a valid device topic.
    public var tenantID: String?
    /// The ``FarmIQCore/RejectReason`` raw value (kept as text so old rows of retired reasons still read).
    public var reason: String
    /// What is wrong, safe to log and show.
    public var detail: String
    /// Size of the whole payload, bytes (PostgreSQL stores at most `Int32.max`).
    public var payloadSize: Int
    /// The first 4 KiB of the payload, byte for byte.
    public var payloadPrefix: [UInt8]

    /// A record of given values (not checked).
    public init(id: Int64, receivedAt: Timestamp, topic: String, tenantID: String?, reason: String, detail: String, payloadSize: Int, payloadPrefix: [UInt8]) {
        self.id = id
        self.receivedAt = receivedAt
        self.topic = topic
        self.tenantID = tenantID
        self.reason = reason
        self.detail = detail
        self.payloadSize = payloadSize
        self.payloadPrefix = payloadPrefix
    }
}
