/// Payload rules of the device event types the contract names. Other `a.b` types only need an object.
enum EventPayload {
    static func validate(eventType: String, payload: JSONValue) throws(IngestRejection) {
        switch eventType {
        case "weighvision.session.started":
            try requireUUID(payload, "session_id")
            try optionalName(payload, "station_id")
            try optionalString(payload, "animal", maxBytes: 64)
            try optionalCount(payload, "expected_count")
        case "weighvision.weight.reading":
            try requireUUID(payload, "session_id")
            guard case .number(let seq)? = payload["seq"], let value = seq.integerValue, value >= 0 else {
                throw IngestRejection(.invalidPayload, "seq must be a non-negative integer")
            }
            guard case .number(let weight)? = payload["weight_kg"], weight.value.isFinite, weight.value >= 0, weight.value < 100_000 else {
                throw IngestRejection(.invalidPayload, "weight_kg must be a finite number from 0 to 100000")
            }
            switch payload["stable"] {
            case nil, .bool?: break
            default: throw IngestRejection(.invalidPayload, "stable must be a boolean")
            }
        case "weighvision.session.ended":
            try requireUUID(payload, "session_id")
            switch payload["reason"] {
            case nil, .string("completed")?, .string("cancelled")?: break
            default: throw IngestRejection(.invalidPayload, "reason must be completed or cancelled")
            }
        case "device.status":
            guard case .string? = payload["status"] else {
                throw IngestRejection(.invalidPayload, "device.status needs a status string")
            }
        default:
            break
        }
    }

    private static func requireUUID(_ payload: JSONValue, _ field: String) throws(IngestRejection) {
        guard case .string(let text)? = payload[field], Identifier.isValidUUID(text) else {
            throw IngestRejection(.invalidID, "\(field) must be a canonical lower-case UUID")
        }
    }

    private static func optionalName(_ payload: JSONValue, _ field: String) throws(IngestRejection) {
        switch payload[field] {
        case nil, .null?: return
        case .string(let text)? where Identifier.isValidName(text): return
        default: throw IngestRejection(.invalidID, "\(field) must be 1-64 chars of [A-Za-z0-9_-]")
        }
    }

    private static func optionalString(_ payload: JSONValue, _ field: String, maxBytes: Int) throws(IngestRejection) {
        switch payload[field] {
        case nil, .null?: return
        case .string(let text)? where text.utf8.count <= maxBytes: return
        default: throw IngestRejection(.invalidPayload, "\(field) must be a string of at most \(maxBytes) bytes")
        }
    }

    private static func optionalCount(_ payload: JSONValue, _ field: String) throws(IngestRejection) {
        switch payload[field] {
        case nil, .null?: return
        case .number(let number)? where (number.integerValue ?? -1) >= 0: return
        default: throw IngestRejection(.invalidPayload, "\(field) must be a non-negative integer")
        }
    }
}
