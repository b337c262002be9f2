import Crypto
import FarmIQCore

/// One received MQTT message, reduced to what validation needs.
public struct ReceivedMessage: Sendable {
    public let topic: String
    public let payload: [UInt8]
    public let receivedAt: Timestamp
    /// Set when the payload (this many bytes) was over the MQTT client's buffering limit and discarded as
    /// it arrived; `payload` is then empty.
    public let discardedPayloadSize: Int?

    public init(topic: String, payload: [UInt8], receivedAt: Timestamp, discardedPayloadSize: Int? = nil) {
        self.topic = topic
        self.payload = payload
        self.receivedAt = receivedAt
        self.discardedPayloadSize = discardedPayloadSize
    }
}

extension ReceivedMessage {
    /// This message as a reject, fingerprinted (SHA-256 of topic, a NUL byte and the whole payload) so a
    /// redelivery of it is recorded once.
    func reject(_ reason: RejectReason, _ detail: String, clockAheadSeconds: Double? = nil, payloadSize: Int? = nil) -> IngestReject {
        var hash = SHA256()
        hash.update(data: Array(topic.utf8))
        hash.update(data: [0])
        hash.update(data: payload)
        if let payloadSize { hash.update(data: Array("\(payloadSize)".utf8)) }
        return IngestReject(
            topic: topic, tenantID: (try? IngestTopic.parse(topic))?.address.tenantID, reason: reason, detail: detail,
            payload: payload, receivedAt: receivedAt, payloadSize: payloadSize, fingerprint: Array(hash.finalize()),
            clockAheadSeconds: clockAheadSeconds)
    }
}
