import FarmIQCore
import NIOCore
import PostgresNIO

/// ``DeviceRegistry`` on PostgreSQL.
struct PostgresDeviceRegistry: DeviceRegistry {
    let backend: PostgresBackend

    func add(_ address: DeviceAddress, token: IssuedToken, at time: Timestamp) async throws {
        let rows = try await backend.query("""
            INSERT INTO devices (tenant_id, farm_id, barn_id, device_id, token_sha256, broker_password_hash, enabled, created_at)
            VALUES (\(address.tenantID), \(address.farmID), \(address.barnID), \(address.deviceID), \(ByteBuffer(bytes: token.sha256)),
                    \(token.brokerPasswordHash), true,
                    \(time.millisecondsSinceEpoch))
            ON CONFLICT (tenant_id, farm_id, barn_id, device_id) DO NOTHING
            RETURNING 1
            """, "add device")
        var inserted = false
        for try await _ in rows { inserted = true }
        if !inserted { throw EdgeError(.conflict, "device \(address) is already registered (rotate its token instead)") }
    }

    func devices(tenantID: String?) async throws -> [RegisteredDevice] {
        let rows = try await backend.query("""
            SELECT tenant_id, farm_id, barn_id, device_id, enabled, created_at, rotated_at, disabled_at, token_sha256 FROM devices
            WHERE \(tenantID)::text IS NULL OR tenant_id = \(tenantID) ORDER BY tenant_id, farm_id, barn_id, device_id
            """, "list devices")
        return try await Self.decode(rows, "list devices")
    }

    func setEnabled(_ address: DeviceAddress, _ enabled: Bool, at time: Timestamp) async throws -> Bool {
        let rows = try await backend.query("""
            UPDATE devices SET enabled = \(enabled), disabled_at = CASE WHEN \(enabled) THEN NULL ELSE \(time.millisecondsSinceEpoch)::int8 END
            WHERE tenant_id = \(address.tenantID) AND farm_id = \(address.farmID) AND barn_id = \(address.barnID) AND device_id = \(address.deviceID)
            RETURNING 1
            """, "enable device")
        var found = false
        for try await _ in rows { found = true }
        return found
    }

    func rotate(_ address: DeviceAddress, token: IssuedToken, at time: Timestamp) async throws -> Bool {
        let rows = try await backend.query("""
            UPDATE devices SET token_sha256 = \(ByteBuffer(bytes: token.sha256)), rotated_at = \(time.millisecondsSinceEpoch),
                broker_password_hash = \(token.brokerPasswordHash)
            WHERE tenant_id = \(address.tenantID) AND farm_id = \(address.farmID) AND barn_id = \(address.barnID) AND device_id = \(address.deviceID)
            RETURNING 1
            """, "rotate device token")
        var found = false
        for try await _ in rows { found = true }
        return found
    }

    func brokerPasswordEntries() async throws -> [(user: String, hash: String)] {
        let rows = try await backend.query("""
            SELECT tenant_id || '/' || farm_id || '/' || barn_id || '/' || device_id, broker_password_hash FROM devices
            WHERE enabled ORDER BY tenant_id, farm_id, barn_id, device_id
            """, "broker password entries")
        var entries: [(user: String, hash: String)] = []
        do {
            for try await (user, hash) in rows.decode((String, String).self) { entries.append((user, hash)) }
        } catch {
            throw PostgresErrors.map(error, "broker password entries")
        }
        return entries
    }

    func device(tokenSHA256: [UInt8]) async throws -> RegisteredDevice? {
        let rows = try await backend.query("""
            SELECT tenant_id, farm_id, barn_id, device_id, enabled, created_at, rotated_at, disabled_at, token_sha256 FROM devices
            WHERE token_sha256 = \(ByteBuffer(bytes: tokenSHA256))
            """, "authenticate device")
        return try await Self.decode(rows, "authenticate device").first
    }

    static func decode(_ rows: PostgresRows, _ operation: String) async throws -> [RegisteredDevice] {
        var devices: [RegisteredDevice] = []
        do {
            for try await (tenant, farm, barn, device, enabled, created, rotated, disabled, digest)
                in rows.decode((String, String, String, String, Bool, Int64, Int64?, Int64?, ByteBuffer).self) {
                guard let address = DeviceAddress(tenantID: tenant, farmID: farm, barnID: barn, deviceID: device) else { continue }
                devices.append(RegisteredDevice(
                    address: address, enabled: enabled, createdAt: Timestamp(millisecondsSinceEpoch: created),
                    rotatedAt: rotated.map(Timestamp.init(millisecondsSinceEpoch:)), disabledAt: disabled.map(Timestamp.init(millisecondsSinceEpoch:)),
                    tokenSHA256: Array(digest.readableBytesView)))
            }
        } catch {
            throw PostgresErrors.map(error, operation)
        }
        return devices
    }
}
