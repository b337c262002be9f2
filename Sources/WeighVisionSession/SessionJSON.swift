import FarmIQCore
import FarmIQStorage

/// JSON bodies of the session API. Times RFC 3339 (UTC), weights in kilograms.
enum SessionJSON {
    static func summary(_ stored: StoredSession) -> JSONValue {
        let s = stored.session
        func time(_ value: Timestamp?) -> JSONValue { value.map { .string($0.rfc3339) } ?? .null }
        func text(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
        func number(_ value: Double?) -> JSONValue { value.map { .number(JSONNumber($0)) } ?? .null }
        /// Computed weights, to the gram (as the finalized event gives them): no `1.9765000000000001`.
        func grams(_ value: Double?) -> JSONValue { number(value.map { ($0 * 1000).rounded() / 1000 }) }
        func int(_ value: Int?) -> JSONValue { value.map { .number(JSONNumber($0)) } ?? .null }
        return .object([
            ("tenant_id", .string(s.tenantID)), ("session_id", .string(s.sessionID)),
            ("farm_id", .string(s.address.farmID)), ("barn_id", .string(s.address.barnID)), ("device_id", .string(s.address.deviceID)),
            ("station_id", text(s.stationID)), ("animal", text(s.animal)), ("expected_count", int(s.expectedCount)),
            ("status", .string(s.status.rawValue)), ("revision", .number(JSONNumber(s.revision))),
            ("started_at", time(s.startedAt)), ("ended_at", time(s.endedAt)), ("end_reason", text(s.endReason?.rawValue)),
            ("first_event_at", time(s.firstOccurredAt)), ("last_event_at", time(s.lastOccurredAt)),
            ("due_at", time(s.dueAt)), ("finalized_at", time(stored.finalizedAt)),
            ("weight_kg", grams(stored.weightKg)), ("bird_count", int(stored.birdCount)), ("avg_weight_kg", grams(stored.averageWeightKg)),
        ])
    }

    static func page(_ sessions: [StoredSession], nextCursor: String?) -> String {
        JSONWriter.write(.object([
            ("sessions", .array(sessions.map(summary))),
            ("next_cursor", nextCursor.map { .string($0) } ?? .null),
        ]))
    }

    /// One image of a session: its ids, size, whether the cloud has its bytes, and where to fetch it.
    static func image(_ object: MediaObject) -> JSONValue {
        .object([
            ("media_id", .string(object.mediaID)), ("captured_at", .string(object.capturedAt.rfc3339)),
            ("sha256", .string(object.sha256)), ("size_bytes", .number(JSONNumber(Int(object.sizeBytes)))),
            ("width", .number(JSONNumber(object.width))), ("height", .number(JSONNumber(object.height))),
            ("uploaded", .bool(object.uploadedAt != nil)), ("reclaimed", .bool(object.evictedAt != nil)),
            ("url", .string("/api/v1/media/\(object.mediaID)")),
        ])
    }

    static func detail(_ stored: StoredSession, images: [MediaObject] = []) -> String {
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
            ("images", .array(images.map(image))),
        ]))
    }
}
