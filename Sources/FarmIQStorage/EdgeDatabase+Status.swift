import FarmIQCore

/// What `farmiq-edge status` reads from the database itself: schema version, recent activity, size.
public struct EdgeActivity: Sendable, Equatable {
    /// Highest applied migration; nil when the database has no FarmIQ schema.
    public var schemaVersion: Int?
    /// Distinct `(tenant, device)` with a message received in the recent window.
    public var devicesSeen: Int
    /// Messages (telemetry and device events) received in the rate window.
    public var messagesReceived: Int
    /// Messages held in `telemetry_raw` and `device_events`.
    public var storedMessages: Int
    /// Bytes the database takes (SQLite: `page_count × page_size` of the main file, free pages included, WAL not;
    /// PostgreSQL: `pg_database_size`).
    public var databaseBytes: Int
}

extension EdgeDatabase {
    /// Reads the activity without changing anything (no migration): devices seen since `devicesSince`,
    /// messages received since `messagesSince`.
    public func activity(devicesSince: Timestamp, messagesSince: Timestamp) async throws -> EdgeActivity {
        guard let version = try? await scalarInt(unsafeSQL: "SELECT max(version) FROM schema_migrations"), version > 0 else {
            return EdgeActivity(schemaVersion: nil, devicesSeen: 0, messagesReceived: 0, storedMessages: 0, databaseBytes: 0)
        }
        let devices = devicesSince.millisecondsSinceEpoch, messages = messagesSince.millisecondsSinceEpoch
        let size = engine == .sqlite
            ? "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
            : "SELECT pg_database_size(current_database())"
        return EdgeActivity(
            schemaVersion: version,
            devicesSeen: try await scalarInt(unsafeSQL: """
                SELECT count(*) FROM (SELECT tenant_id, device_id FROM telemetry_raw WHERE received_at >= \(devices)
                    UNION SELECT tenant_id, device_id FROM device_events WHERE received_at >= \(devices)) AS d
                """),
            messagesReceived: try await scalarInt(unsafeSQL: """
                SELECT (SELECT count(*) FROM telemetry_raw WHERE received_at >= \(messages))
                     + (SELECT count(*) FROM device_events WHERE received_at >= \(messages))
                """),
            storedMessages: try await scalarInt(unsafeSQL: "SELECT (SELECT count(*) FROM telemetry_raw) + (SELECT count(*) FROM device_events)"),
            databaseBytes: try await scalarInt(unsafeSQL: size))
    }
}
