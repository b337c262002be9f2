/// A `weighvision.*` device event reduced to what the session lifecycle needs (`contracts.md` §2, §3a).
/// The gateway's validator has already checked the payload; ``init(_:)`` reads it again and returns `nil` for
/// anything that is not a session event.
public struct SessionEvent: Sendable, Equatable {
    /// What the event says, by event type (`contracts.md` §2).
    public enum Kind: Sendable, Equatable {
        /// `weighvision.session.started`: the optional station, animal and expected count.
        case started(stationID: String?, animal: String?, expectedCount: Int?)
        /// `weighvision.weight.reading`: `weight_kg` in kilograms, `stable` (default false).
        case reading(seq: Int, weightKg: Double, stable: Bool)
        /// `weighvision.session.ended`.
        case ended(SessionEndReason)
    }

    /// The sending device, from the topic.
    public let address: DeviceAddress
    /// The event's `event_id` (UUID).
    public let eventID: String
    /// The payload's `session_id` (UUID).
    public let sessionID: String
    /// `occurred_at`, by the device's clock.
    public let occurredAt: Timestamp
    /// When the edge received it (the edge's clock).
    public let receivedAt: Timestamp
    /// The event's type and its payload's fields.
    public let kind: Kind

    /// An event of given values (not checked).
    public init(address: DeviceAddress, eventID: String, sessionID: String, occurredAt: Timestamp, receivedAt: Timestamp, kind: Kind) {
        self.address = address
        self.eventID = eventID
        self.sessionID = sessionID
        self.occurredAt = occurredAt
        self.receivedAt = receivedAt
        self.kind = kind
    }

    /// The event types a session is built from.
    public static let eventTypes: Set<String> = ["weighvision.session.started", "weighvision.weight.reading", "weighvision.session.ended"]

    /// `nil` unless the type is one of ``eventTypes`` and `session_id` is a UUID (for a reading, also an
    /// integer `seq` and a finite `weight_kg`); optional fields that do not fit are read as absent.
    public init?(_ event: DeviceEvent) {
        let payload = event.payload
        guard case .string(let sessionID)? = payload["session_id"], Identifier.isValidUUID(sessionID) else { return nil }
        let kind: Kind
        switch event.header.eventType {
        case "weighvision.session.started":
            var station: String?
            if case .string(let text)? = payload["station_id"], Identifier.isValidName(text) { station = text }
            var animal: String?
            if case .string(let text)? = payload["animal"] { animal = text }
            var expected: Int?
            if case .number(let number)? = payload["expected_count"] { expected = number.integerValue }
            kind = .started(stationID: station, animal: animal, expectedCount: expected)
        case "weighvision.weight.reading":
            guard case .number(let seq)? = payload["seq"], let seqValue = seq.integerValue,
                case .number(let weight)? = payload["weight_kg"], weight.value.isFinite
            else { return nil }
            var stable = false
            if case .bool(let flag)? = payload["stable"] { stable = flag }
            kind = .reading(seq: seqValue, weightKg: weight.value, stable: stable)
        case "weighvision.session.ended":
            var reason = SessionEndReason.completed
            if case .string("cancelled")? = payload["reason"] { reason = .cancelled }
            kind = .ended(reason)
        default:
            return nil
        }
        self.init(address: event.address, eventID: event.header.eventID, sessionID: sessionID,
                  occurredAt: event.header.occurredAt, receivedAt: event.receivedAt, kind: kind)
    }
}

/// Why a session ended, as its `ended` event says.
public enum SessionEndReason: String, Sendable, Equatable {
    /// `completed`, also when `reason` is absent (`contracts.md` §2).
    case completed
    /// `cancelled`.
    case cancelled
}
