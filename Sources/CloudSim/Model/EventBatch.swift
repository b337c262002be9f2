import FarmIQCore

/// One `POST /api/v1/edge/events` body (`contracts.md` §4), parsed and validated event by event.
///
/// A malformed batch (not JSON, bad `edge_id`/`batch_id`, no `events` array, too many events) fails as a
/// whole; a malformed event only makes that event `rejected` with a reason.
struct EventBatch: Sendable {
    /// An event that passed validation.
    struct Event: Sendable {
        let tenantID: String
        let eventID: String
        let eventType: String
        /// `payload.media_id` of a `media.stored` event: the bytes it announces must already be here.
        var mediaID: String? = nil
    }

    /// One entry of the batch, in request order.
    enum Entry: Sendable {
        case valid(Event)
        case invalid(eventID: String, reason: String)

        /// The event id as the batch gave it (for an invalid entry, what could be echoed).
        var eventID: String? {
            switch self {
            case .valid(let event): event.eventID
            case .invalid(let eventID, _): eventID.isEmpty ? nil : eventID
            }
        }
    }

    /// Why a whole batch is refused, and the status that says so.
    struct Failure: Error, Sendable {
        let status: Int
        let message: String
    }

    let edgeID: String
    let batchID: String
    let entries: [Entry]

    /// `edge_id` defaults to a host name, so dots are allowed: 1–253 chars of `[A-Za-z0-9._-]`.
    static func isValidEdgeID(_ value: String) -> Bool {
        let utf8 = value.utf8
        guard !utf8.isEmpty, utf8.count <= 253 else { return false }
        return utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."):
                true
            default:
                false
            }
        }
    }

    static func parse(_ body: [UInt8], maxEvents: Int) throws(Failure) -> EventBatch {
        let document: JSONValue
        do {
            // Batch object → events array → event object → payload: the payload keeps the usual depth budget.
            document = try JSONParser.parse(body, maxDepth: JSONParser.defaultMaxDepth + 3)
        } catch {
            throw Failure(status: 400, message: "body is not JSON: \(error.description)")
        }
        guard document.isObject else { throw Failure(status: 400, message: "body must be a JSON object") }
        guard case .string(let edgeID)? = document["edge_id"], isValidEdgeID(edgeID) else {
            throw Failure(status: 400, message: "edge_id must be 1-253 chars of [A-Za-z0-9._-]")
        }
        guard case .string(let batchID)? = document["batch_id"], Identifier.isValidUUID(batchID) else {
            throw Failure(status: 400, message: "batch_id must be a canonical lower-case UUID")
        }
        guard case .array(let events)? = document["events"] else {
            throw Failure(status: 400, message: "events must be an array")
        }
        guard events.count <= maxEvents else {
            throw Failure(status: 413, message: "a batch carries at most \(maxEvents) events, this one has \(events.count)")
        }
        guard !events.isEmpty else { throw Failure(status: 400, message: "events must not be empty") }
        return EventBatch(edgeID: edgeID, batchID: batchID, entries: events.map(validate))
    }

    /// Validates one event object of the batch.
    static func validate(_ event: JSONValue) -> Entry {
        var echoedID = ""
        if case .string(let text)? = event["event_id"] { echoedID = String(text.prefix(64)) }
        func invalid(_ reason: String) -> Entry { .invalid(eventID: echoedID, reason: reason) }

        guard event.isObject else { return invalid("event must be a JSON object") }
        for field in ["tenant_id", "farm_id", "barn_id", "device_id"] {
            guard case .string(let value)? = event[field], Identifier.isValidName(value) else {
                return invalid("\(field) must be 1-64 chars of [A-Za-z0-9_-]")
            }
        }
        guard case .string(let eventID)? = event["event_id"], Identifier.isValidUUID(eventID) else {
            return invalid("event_id must be a canonical lower-case UUID")
        }
        guard case .string(let eventType)? = event["event_type"], Identifier.isValidEventType(eventType) else {
            return invalid("event_type must be dot-separated lower-case words (a.b)")
        }
        guard case .string(let occurredAt)? = event["occurred_at"], Timestamp(rfc3339: occurredAt) != nil else {
            return invalid("occurred_at must be an RFC 3339 time")
        }
        guard case .number(let version)? = event["schema_version"], version.integerValue == 1 else {
            return invalid("schema_version must be 1")
        }
        switch event["trace_id"] {
        case nil, .null?: break
        case .string(let traceID)? where Identifier.isValidTraceID(traceID): break
        default: return invalid("trace_id must be 32 lower-case hex digits or null")
        }
        guard let payload = event["payload"], payload.isObject else {
            return invalid("payload must be a JSON object")
        }
        guard case .string(let tenantID)? = event["tenant_id"] else { return invalid("tenant_id is missing") }
        var mediaID: String?
        if eventType == "media.stored", case .string(let id)? = payload["media_id"] { mediaID = id }
        return .valid(Event(tenantID: tenantID, eventID: eventID, eventType: eventType, mediaID: mediaID))
    }
}
