/// The validated header every envelope carries.
public struct EnvelopeHeader: Sendable, Equatable {
    /// `schema_version`, one of ``EnvelopeValidator/supportedSchemaVersions``.
    public let schemaVersion: Int
    /// `event_id`, a canonical lower-case UUID (`contracts.md` §1).
    public let eventID: String
    /// `event_type`, dot-separated lower-case words (``Identifier/isValidEventType(_:)``).
    public let eventType: String
    /// `occurred_at`, by the device's clock.
    public let occurredAt: Timestamp
    /// `trace_id`, a W3C trace-id (32 lower-case hex digits); `nil` when absent or `null`.
    public let traceID: String?

    /// A header of already validated values (not checked here).
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
    /// Metric name, `^[a-z][a-z0-9_.]{0,63}$` (`contracts.md` §1).
    public let metric: String
    /// A finite number.
    public let value: Double
    /// 1–32 printable characters, or `nil` when absent.
    public let unit: String?

    /// A reading of already validated values (not checked here).
    public init(metric: String, value: Double, unit: String?) {
        self.metric = metric
        self.value = value
        self.unit = unit
    }
}

/// A valid `telemetry.reading` message.
///
/// A value with its fields in one immutable box: a message is handed through the gateway's batch, the
/// sink and the store, and each copy of eleven reference-counted fields cost eleven retains and releases
/// (`perf` of `farmiq-edge bench ingest`: 4% of the gateway's samples); now a copy is one. The payload is kept
/// as its JSON text only (``payload`` parses it on demand): nothing on the ingest path reads the tree.
public struct TelemetryMessage: Sendable, Equatable {
    private final class Storage: Sendable {
        let address: DeviceAddress
        let header: EnvelopeHeader
        let readings: [Reading]
        let payloadJSON: String
        let receivedAt: Timestamp
        let outboxBody: String

        init(address: DeviceAddress, header: EnvelopeHeader, readings: [Reading], payloadJSON: String, receivedAt: Timestamp) {
            self.address = address
            self.header = header
            self.readings = readings
            self.payloadJSON = payloadJSON
            self.receivedAt = receivedAt
            self.outboxBody = OutboxEvent.body(address: address, header: header, payloadJSON: payloadJSON)
        }
    }

    private let storage: Storage

    /// The device, from the topic.
    public var address: DeviceAddress { storage.address }
    /// The envelope's validated header.
    public var header: EnvelopeHeader { storage.header }
    /// 1 to ``EnvelopeValidator/maxReadings`` readings, in payload order.
    public var readings: [Reading] { storage.readings }
    /// The payload (validated), parsed from ``payloadJSON`` on each use.
    public var payload: JSONValue { (try? JSONParser.parse(storage.payloadJSON)) ?? .object([]) }
    /// The payload's JSON text, forwarded to the cloud unchanged: the bytes as received when the
    /// validator had them, else the payload serialised.
    public var payloadJSON: String { storage.payloadJSON }
    /// When the edge received it (the edge's clock).
    public var receivedAt: Timestamp { storage.receivedAt }
    /// The cloud event's JSON (``OutboxEvent/body``), built here, when the message is validated: the gateway
    /// validates batch N+1 while batch N commits, so this work stays off the database writer's thread.
    public var outboxBody: String { storage.outboxBody }

    /// A message of already validated values; `payloadJSON` `nil`: `payload` serialised with ``JSONWriter``.
    public init(
        address: DeviceAddress, header: EnvelopeHeader, readings: [Reading], payload: JSONValue,
        payloadJSON: String? = nil, receivedAt: Timestamp
    ) {
        self.init(
            address: address, header: header, readings: readings, payloadJSON: payloadJSON ?? JSONWriter.write(payload),
            receivedAt: receivedAt)
    }

    /// A message of already validated values, the payload as its JSON text (an object holding `readings`).
    public init(address: DeviceAddress, header: EnvelopeHeader, readings: [Reading], payloadJSON: String, receivedAt: Timestamp) {
        storage = Storage(address: address, header: header, readings: readings, payloadJSON: payloadJSON, receivedAt: receivedAt)
    }

    /// Equal when every field is equal (the box's identity does not count; the payload is compared as its text).
    public static func == (lhs: TelemetryMessage, rhs: TelemetryMessage) -> Bool {
        lhs.storage === rhs.storage
            || (lhs.address == rhs.address && lhs.header == rhs.header && lhs.readings == rhs.readings
                && lhs.payloadJSON == rhs.payloadJSON && lhs.receivedAt == rhs.receivedAt)
    }
}

/// A valid device event other than telemetry (`device.status`, `weighvision.*`, any `a.b` type).
public struct DeviceEvent: Sendable, Equatable {
    /// The device, from the topic.
    public let address: DeviceAddress
    /// The envelope's validated header.
    public let header: EnvelopeHeader
    /// The payload object as received (validated for the known types).
    public let payload: JSONValue
    /// The payload's JSON text, forwarded to the cloud unchanged (see ``TelemetryMessage/payloadJSON``).
    public let payloadJSON: String
    /// When the edge received it (the edge's clock).
    public let receivedAt: Timestamp

    /// An event of already validated values; `payloadJSON` `nil`: `payload` serialised with ``JSONWriter``.
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
    /// A `telemetry.reading` from a `…/telemetry` topic.
    case telemetry(TelemetryMessage)
    /// Any other event type, from a `…/event` topic.
    case event(DeviceEvent)

    /// The device, from the topic.
    public var address: DeviceAddress {
        switch self {
        case .telemetry(let message): message.address
        case .event(let event): event.address
        }
    }

    /// The envelope's validated header.
    public var header: EnvelopeHeader {
        switch self {
        case .telemetry(let message): message.header
        case .event(let event): event.header
        }
    }
}

/// A message that was rejected, as recorded in `ingest_rejects`.
public struct IngestReject: Sendable, Equatable {
    /// Bytes of the payload kept: the first 4 KiB (`contracts.md` §2).
    public static let payloadPrefixLimit = 4096

    /// The topic as received, cut to its first 512 characters.
    public let topic: String
    /// The topic's tenant; `nil` when the topic is not a valid device topic.
    public let tenantID: String?
    /// Why it was rejected.
    public let reason: RejectReason
    /// What is wrong, safe to log and store (``IngestRejection/detail``).
    public let detail: String
    /// The first 4 KiB of the payload, as received.
    public let payloadPrefix: [UInt8]
    /// Size of the whole payload, bytes.
    public let payloadSize: Int
    /// When the edge received it (the edge's clock).
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
