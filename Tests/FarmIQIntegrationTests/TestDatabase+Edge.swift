import FarmIQCore
import FarmIQStorage
import FarmIQTestSupport

/// What integration tests read from an edge's database (through the shared ``TestDatabase``).
extension TestDatabase {
    static func rejects(_ url: String) async throws -> [StoredReject] {
        try await withDatabase(url) { try await $0.ingress.rejects(tenantID: nil, limit: 10_000) }
    }

    /// Distinct messages (event ids) of the tenant in telemetry_raw.
    static func messageCount(_ url: String, tenantID: String) async throws -> Int {
        try await withDatabase(url) { try await $0.telemetry.messageCount(tenantID: tenantID) }
    }
}
