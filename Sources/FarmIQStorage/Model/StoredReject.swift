import FarmIQCore

/// A row of `ingest_rejects`.
public struct StoredReject: Sendable, Hashable {
    public var id: Int64
    public var receivedAt: Timestamp
    public var topic: String
    public var tenantID: String?
    /// The ``FarmIQCore/RejectReason`` raw value (kept as text so old rows of retired reasons still read).
    public var reason: String
    public var detail: String
    public var payloadSize: Int
    /// The first 4 KiB of the payload, byte for byte.
    public var payloadPrefix: [UInt8]

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
