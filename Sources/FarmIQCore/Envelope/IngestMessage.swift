/// The validated header every envelope carries.
public struct EnvelopeHeader: Sendable, Equatable {
    public let schemaVersion: Int
    public let eventID: String
    public let eventType: String
    public let occurredAt: Timestamp
    public let traceID: String?

    public init(schemaVersion: Int, eventID: String, eventType: String, occurredAt: Timestamp, traceID: String?) {
        self.schemaVersion = schemaVersion
        self.eventID = eventID
        self.eventType = eventType
        self.occurredAt = occurredAt
        self.traceID = traceID
    }
}

/// One sensor reading of a `telemetry.reading` message.
public struct Reading: Sendable, Equatable {
    public let metric: String
    public let value: Double
    public let unit: String?

    public init(metric: String, value: Double, unit: String?) {
        self.metric = metric
        self.value = value
        self.unit = unit
    }
}

/// A valid `telemetry.reading` message.
public struct TelemetryMessage: Sendable, Equatable {
    public let address: DeviceAddress
    public let header: EnvelopeHeader
    public let readings: [Reading]
    /// The payload as received (validated).
    public let payload: JSONValue
    /// The payload's JSON text, forwarded to the cloud unchanged: the bytes as received when the
    /// validator had them, else `payload` serialised.
    public let payloadJSON: String
    public let receivedAt: Timestamp

    public init(
        address: DeviceAddress, header: EnvelopeHeader, readings: [Reading], payload: JSONValue,
        payloadJSON: String? = nil, receivedAt: Timestamp
    ) {
        self.address = address
        self.header = header
        self.readings = readings
        self.payload = payload
        self.payloadJSON = payloadJSON ?? JSONWriter.write(payload)
        self.receivedAt = receivedAt
    }
}

/// A valid device event other than telemetry (`device.status`, `weighvision.*`, any `a.b` type).
public struct DeviceEvent: Sendable, Equatable {
    public let address: DeviceAddress
    public let header: EnvelopeHeader
    /// The payload object as received (validated for the known types).
    public let payload: JSONValue
    /// The payload's JSON text, forwarded to the cloud unchanged (see ``TelemetryMessage/payloadJSON``).
    public let payloadJSON: String
    public let receivedAt: Timestamp

    public init(address: DeviceAddress, header: EnvelopeHeader, payload: JSONValue, payloadJSON: String? = nil, receivedAt: Timestamp) {
        self.address = address
        self.header = header
        self.payload = payload
        self.payloadJSON = payloadJSON ?? JSONWriter.write(payload)
        self.receivedAt = receivedAt
    }
}

/// What a valid MQTT message carries, routed by its owner.
public enum IngestMessage: Sendable, Equatable {
    case telemetry(TelemetryMessage)
    case event(DeviceEvent)

    public var address: DeviceAddress {
        switch self {
        case .telemetry(let message): message.address
        case .event(let event): event.address
        }
    }

    public var header: EnvelopeHeader {
        switch self {
        case .telemetry(let message): message.header
        case .event(let event): event.header
        }
    }
}

/// A message that was rejected, as recorded in `ingest_rejects`.
public struct IngestReject: Sendable, Equatable {
    public static let payloadPrefixLimit = 4096

    public let topic: String
    public let tenantID: String?
    public let reason: RejectReason
    public let detail: String
    /// The first 4 KiB of the payload, as received.
    public let payloadPrefix: [UInt8]
    public let payloadSize: Int
    public let receivedAt: Timestamp
    /// Identifies the message (SHA-256 of topic and whole payload, 32 bytes): a redelivery of a rejected
    /// message (broker redelivery after a crash, a retained message) is recorded once. `nil`: never deduplicated.
    public let fingerprint: [UInt8]?
    /// The device's clock offset for a ``RejectReason/clockAhead`` reject, in seconds.
    public let clockAheadSeconds: Double?

    /// - Parameters:
    ///   - payloadSize: the size of the whole payload when `payload` holds only part of it (a body discarded
    ///     as it streamed in); default `payload.count`.
    public init(
        topic: String, tenantID: String?, reason: RejectReason, detail: String, payload: some Collection<UInt8>, receivedAt: Timestamp,
        payloadSize: Int? = nil, fingerprint: [UInt8]? = nil, clockAheadSeconds: Double? = nil
    ) {
        self.fingerprint = fingerprint
        self.clockAheadSeconds = clockAheadSeconds
        // A topic is valid UTF-8 (the MQTT codec checks it) but can be long; keep it bounded.
        self.topic = String(topic.prefix(512))
        self.tenantID = tenantID
        self.reason = reason
        self.detail = detail
        self.payloadPrefix = Array(payload.prefix(IngestReject.payloadPrefixLimit))
        self.payloadSize = payloadSize ?? payload.count
        self.receivedAt = receivedAt
    }
}
