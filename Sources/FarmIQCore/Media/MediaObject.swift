/// One stored image (`media_objects`, `contracts.md` §3 revision 2): ids, path, SHA-256, size, pixel size,
/// `captured_at`, session, and whether its bytes have reached the cloud.
public struct MediaObject: Sendable, Equatable {
    /// UUID (v7), chosen by the edge.
    public let mediaID: String
    /// The uploading device (from its token).
    public let address: DeviceAddress
    /// The upload's idempotency key (UUID).
    public let eventID: String
    /// The weigh session (UUID), or `nil` for an image without one (path segment `_none`).
    public let sessionID: String?
    /// `captured_at` of the upload, by the device's clock.
    public let capturedAt: Timestamp
    /// Where the file is under the media root.
    public let path: MediaPath
    /// Lower-case hex SHA-256 of the file, 64 characters.
    public let sha256: String
    /// File size, bytes.
    public let sizeBytes: Int64
    /// Pixels, from the JPEG header.
    public let width: Int
    /// Pixels, from the JPEG header.
    public let height: Int
    /// When the edge stored it.
    public let createdAt: Timestamp
    /// When the cloud accepted its bytes (`PUT …/edge/media/…`), else `nil`.
    public var uploadedAt: Timestamp?
    /// When the file was deleted to free the volume (only ever after ``uploadedAt``), else `nil`.
    public var evictedAt: Timestamp?

    /// A record of given values (not checked).
    public init(
        mediaID: String, address: DeviceAddress, eventID: String, sessionID: String?, capturedAt: Timestamp, path: MediaPath,
        sha256: String, sizeBytes: Int64, width: Int, height: Int, createdAt: Timestamp, uploadedAt: Timestamp? = nil, evictedAt: Timestamp? = nil
    ) {
        self.mediaID = mediaID
        self.address = address
        self.eventID = eventID
        self.sessionID = sessionID
        self.capturedAt = capturedAt
        self.path = path
        self.sha256 = sha256
        self.sizeBytes = sizeBytes
        self.width = width
        self.height = height
        self.createdAt = createdAt
        self.uploadedAt = uploadedAt
        self.evictedAt = evictedAt
    }

    /// The body of `201`/`200` answers (`contracts.md` §3): `{"media_id","sha256","size_bytes","path"}`.
    public var uploadAnswerJSON: String {
        var body = "{\"media_id\":\"\(mediaID)\",\"sha256\":\"\(sha256)\",\"size_bytes\":\(sizeBytes),\"path\":"
        JSONWriter.writeString(path.relative, into: &body)
        body += "}"
        return body
    }

    /// The `media.stored` event (`contracts.md` §4, revision 2), written only once the cloud accepted the bytes.
    /// `device_id` is the uploading device; `occurred_at` the upload's acceptance time.
    public func storedEvent(eventID: String, at time: Timestamp) -> OutboxEvent {
        var payload = "{\"media_id\":\"\(mediaID)\",\"session_id\":"
        if let sessionID { payload += "\"\(sessionID)\"" } else { payload += "null" }
        payload += ",\"sha256\":\"\(sha256)\",\"size_bytes\":\(sizeBytes),\"width\":\(width),\"height\":\(height)"
        payload += ",\"captured_at\":\"\(capturedAt.rfc3339)\",\"content_type\":\"image/jpeg\"}"
        return OutboxEvent(
            address: address,
            header: EnvelopeHeader(schemaVersion: 1, eventID: eventID, eventType: "media.stored", occurredAt: time, traceID: nil),
            payloadJSON: payload)
    }
}
