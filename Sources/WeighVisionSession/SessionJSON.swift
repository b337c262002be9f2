import FarmIQCore
import FarmIQStorage

/// JSON bodies of the session API. Times RFC 3339 (UTC), weights in kilograms.
enum SessionJSON {
    static func summary(_ stored: StoredSession) -> JSONValue {
        let s = stored.session
        func time(_ value: Timestamp?) -> JSONValue { value.map { .string($0.rfc3339) } ?? .null }
        func text(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
        func number(_ value: Double?) -> JSONValue { value.map { .number(JSONNumber($0)) } ?? .null }
        func int(_ value: Int?) -> JSONValue { value.map { .number(JSONNumber($0)) } ?? .null }
        return .object([
            ("tenant_id", .string(s.tenantID)), ("session_id", .string(s.sessionID)),
            ("farm_id", .string(s.address.farmID)), ("barn_id", .string(s.address.barnID)), ("device_id", .string(s.address.deviceID)),
            ("station_id", text(s.stationID)), ("animal", text(s.animal)), ("expected_count", int(s.expectedCount)),
            ("status", .string(s.status.rawValue)), ("revision", .number(JSONNumber(s.revision))),
            ("started_at", time(s.startedAt)), ("ended_at", time(s.endedAt)), ("end_reason", text(s.endReason?.rawValue)),
            ("first_event_at", time(s.firstOccurredAt)), ("last_event_at", time(s.lastOccurredAt)),
            ("due_at", time(s.dueAt)), ("finalized_at", time(stored.finalizedAt)),
            ("weight_kg", number(stored.weightKg)), ("bird_count", int(stored.birdCount)), ("avg_weight_kg", number(stored.averageWeightKg)),
        ])
    }

    static func page(_ sessions: [StoredSession], nextCursor: String?) -> String {
        JSONWriter.write(.object([
            ("sessions", .array(sessions.map(summary))),
            ("next_cursor", nextCursor.map { .string($0) } ?? .null),
        ]))
    }

    static func detail(_ stored: StoredSession) -> String {
        var result: JSONValue = .null
        if let text = stored.resultJSON, let parsed = try? JSONParser.parse(text) { result = parsed }
        let readings: [JSONValue] = stored.readings.map { reading in
            .object([
                ("event_id", .string(reading.eventID)), ("seq", .number(JSONNumber(reading.seq))),
                ("weight_kg", .number(JSONNumber(reading.weightKg))), ("stable", .bool(reading.stable)),
                ("occurred_at", .string(reading.occurredAt.rfc3339)), ("received_at", .string(reading.receivedAt.rfc3339)),
            ])
        }
        return JSONWriter.write(.object([
            ("session", summary(stored)),
            ("result", result),
            ("readings", .array(readings)),
            // The media store is not built yet: no image is stored for any session.
            ("images", .array([])),
        ]))
    }
}
