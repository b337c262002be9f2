import FarmIQCore
import FarmIQSQLite

/// ``DeviceRegistry`` on SQLite.
struct SQLiteDeviceRegistry: DeviceRegistry {
    let backend: SQLiteBackend

    static let columns = "tenant_id, farm_id, barn_id, device_id, enabled, created_at, rotated_at, disabled_at, token_sha256"

    func add(_ address: DeviceAddress, token: IssuedToken, at time: Timestamp) async throws {
        try await backend.write { connection in
            try connection.transaction {
                let exists = try connection.statement(
                    "SELECT 1 FROM devices WHERE tenant_id = ?1 AND farm_id = ?2 AND barn_id = ?3 AND device_id = ?4")
                defer { exists.reset() }
                Self.bind(address, to: exists)
                if try exists.step() { throw EdgeError(.conflict, "device \(address) is already registered (rotate its token instead)") }
                let insert = try connection.statement("""
                    INSERT INTO devices (tenant_id, farm_id, barn_id, device_id, token_sha256, broker_password_hash, enabled, created_at)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?7, 1, ?6)
                    """)
                defer { insert.reset() }
                Self.bind(address, to: insert)
                insert.bind(5, blob: token.sha256)
                insert.bind(6, time.millisecondsSinceEpoch)
                insert.bind(7, token.brokerPasswordHash)
                try insert.run()
            }
        }
    }

    func devices(tenantID: String?) async throws -> [RegisteredDevice] {
        try await backend.read { connection in
            let statement = try connection.statement("""
                SELECT \(Self.columns) FROM devices WHERE ?1 IS NULL OR tenant_id = ?1 ORDER BY tenant_id, farm_id, barn_id, device_id
                """)
            defer { statement.reset() }
            statement.bind(1, tenantID)
            var devices: [RegisteredDevice] = []
            while try statement.step() { if let device = Self.decode(statement) { devices.append(device) } }
            return devices
        }
    }

    func setEnabled(_ address: DeviceAddress, _ enabled: Bool, at time: Timestamp) async throws -> Bool {
        try await backend.write { connection in
            let statement = try connection.statement("""
                UPDATE devices SET enabled = ?5, disabled_at = CASE WHEN ?5 = 1 THEN NULL ELSE ?6 END
                WHERE tenant_id = ?1 AND farm_id = ?2 AND barn_id = ?3 AND device_id = ?4
                """)
            defer { statement.reset() }
            Self.bind(address, to: statement)
            statement.bind(5, enabled ? 1 : 0)
            statement.bind(6, time.millisecondsSinceEpoch)
            try statement.run()
            return connection.changes > 0
        }
    }

    func rotate(_ address: DeviceAddress, token: IssuedToken, at time: Timestamp) async throws -> Bool {
        try await backend.write { connection in
            let statement = try connection.statement("""
                UPDATE devices SET token_sha256 = ?5, rotated_at = ?6, broker_password_hash = ?7
                WHERE tenant_id = ?1 AND farm_id = ?2 AND barn_id = ?3 AND device_id = ?4
                """)
            defer { statement.reset() }
            Self.bind(address, to: statement)
            statement.bind(5, blob: token.sha256)
            statement.bind(6, time.millisecondsSinceEpoch)
            statement.bind(7, token.brokerPasswordHash)
            try statement.run()
            return connection.changes > 0
        }
    }

    func brokerPasswordEntries() async throws -> [(user: String, hash: String)] {
        try await backend.read { connection in
            let statement = try connection.statement("""
                SELECT tenant_id || '/' || farm_id || '/' || barn_id || '/' || device_id, broker_password_hash FROM devices
                WHERE enabled = 1 ORDER BY tenant_id, farm_id, barn_id, device_id
                """)
            defer { statement.reset() }
            var entries: [(user: String, hash: String)] = []
            while try statement.step() { entries.append((statement.string(0), statement.string(1))) }
            return entries
        }
    }

    func device(tokenSHA256: [UInt8]) async throws -> RegisteredDevice? {
        try await backend.read { connection in
            let statement = try connection.statement("SELECT \(Self.columns) FROM devices WHERE token_sha256 = ?1")
            defer { statement.reset() }
            statement.bind(1, blob: tokenSHA256)
            return try statement.step() ? Self.decode(statement) : nil
        }
    }

    static func bind(_ address: DeviceAddress, to statement: SQLiteStatement) {
        statement.bind(1, address.tenantID)
        statement.bind(2, address.farmID)
        statement.bind(3, address.barnID)
        statement.bind(4, address.deviceID)
    }

    static func decode(_ s: SQLiteStatement) -> RegisteredDevice? {
        guard let address = DeviceAddress(tenantID: s.string(0), farmID: s.string(1), barnID: s.string(2), deviceID: s.string(3)) else { return nil }
        return RegisteredDevice(
            address: address, enabled: s.int(4) != 0, createdAt: Timestamp(millisecondsSinceEpoch: s.int64(5)),
            rotatedAt: s.isNull(6) ? nil : Timestamp(millisecondsSinceEpoch: s.int64(6)),
            disabledAt: s.isNull(7) ? nil : Timestamp(millisecondsSinceEpoch: s.int64(7)), tokenSHA256: s.blob(8))
    }
}
