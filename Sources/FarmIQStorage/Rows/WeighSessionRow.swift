import FarmIQCore

/// The columns of `weight_sessions` in the order both engines select them, and the shared pieces of the
/// session stores.
enum WeighSessionRow {
    static let columns = """
        tenant_id, session_id, farm_id, barn_id, device_id, station_id, animal, expected_count, started_at, ended_at, end_reason, \
        first_occurred_at, last_occurred_at, last_received_at, revision, status, late_events, due_at, weight_kg, bird_count, avg_weight_kg, \
        result, finalized_at
        """

    /// One selected row, as optional values in ``columns`` order.
    struct Values {
        var tenantID: String, sessionID: String, farmID: String, barnID: String, deviceID: String
        var stationID: String?, animal: String?, expectedCount: Int?
        var startedAt: Int64?, endedAt: Int64?, endReason: String?
        var firstOccurredAt: Int64, lastOccurredAt: Int64, lastReceivedAt: Int64
        var revision: Int, status: String, lateEvents: Bool, dueAt: Int64?
        var weightKg: Double?, birdCount: Int?, averageWeightKg: Double?, result: String?, finalizedAt: Int64?

        func stored() throws(EdgeError) -> StoredSession {
            guard let address = DeviceAddress(tenantID: tenantID, farmID: farmID, barnID: barnID, deviceID: deviceID),
                let status = WeighSession.Status(rawValue: status)
            else { throw EdgeError(.internalError, "weight_sessions row \(tenantID)/\(sessionID) holds invalid ids or status") }
            let session = WeighSession(
                tenantID: tenantID, sessionID: sessionID, address: address, stationID: stationID, animal: animal, expectedCount: expectedCount,
                startedAt: startedAt.map(Timestamp.init(millisecondsSinceEpoch:)), endedAt: endedAt.map(Timestamp.init(millisecondsSinceEpoch:)),
                endReason: endReason.flatMap(SessionEndReason.init(rawValue:)),
                firstOccurredAt: Timestamp(millisecondsSinceEpoch: firstOccurredAt), lastOccurredAt: Timestamp(millisecondsSinceEpoch: lastOccurredAt),
                lastReceivedAt: Timestamp(millisecondsSinceEpoch: lastReceivedAt), revision: revision, status: status, lateEvents: lateEvents,
                dueAt: dueAt.map(Timestamp.init(millisecondsSinceEpoch:)))
            return StoredSession(session: session, weightKg: weightKg, birdCount: birdCount, averageWeightKg: averageWeightKg,
                                 resultJSON: result, finalizedAt: finalizedAt.map(Timestamp.init(millisecondsSinceEpoch:)))
        }
    }

    /// The WHERE clause and arguments of a session page, with `?` placeholders (SQLite) or `$n` (PostgreSQL).
    static func pageFilter(_ query: SessionQuery, placeholder: (Int) -> String) -> (clause: String, arguments: [PageArgument]) {
        var conditions: [String] = []
        var arguments: [PageArgument] = []
        func add(_ condition: (String) -> String, _ argument: PageArgument) {
            arguments.append(argument)
            conditions.append(condition(placeholder(arguments.count)))
        }
        add({ "tenant_id = \($0)" }, .text(query.tenantID))
        if let barn = query.barnID { add({ "barn_id = \($0)" }, .text(barn)) }
        if let station = query.stationID { add({ "station_id = \($0)" }, .text(station)) }
        if let status = query.status { add({ "status = \($0)" }, .text(status.rawValue)) }
        if let from = query.from { add({ "first_occurred_at >= \($0)" }, .integer(from.millisecondsSinceEpoch)) }
        if let to = query.to { add({ "first_occurred_at < \($0)" }, .integer(to.millisecondsSinceEpoch)) }
        if let cursor = query.cursor {
            arguments.append(.integer(cursor.firstOccurredAt))
            let time = placeholder(arguments.count)
            arguments.append(.session(cursor.sessionID))
            let session = placeholder(arguments.count)
            conditions.append("(first_occurred_at < \(time) OR (first_occurred_at = \(time) AND session_id < \(session)))")
        }
        return (conditions.joined(separator: " AND "), arguments)
    }

    enum PageArgument {
        case text(String)
        case integer(Int64)
        /// A session id (uuid on PostgreSQL).
        case session(String)
    }

    /// The session ids of `events` that are session events, with each event parsed (nil for any other type).
    static func parse(_ events: [DeviceEvent]) -> [SessionEvent?] {
        events.map { SessionEvent.eventTypes.contains($0.header.eventType) ? SessionEvent($0) : nil }
    }
}
