import FarmIQCore
import PostgresNIO

extension PostgresBackend {
    /// Writes the messages of `candidates` (distinct keys) that the event-id register does not hold yet, with
    /// `insert` (one statement whose plain `INSERT` into `ingest_event_ids` fails with a unique violation when a
    /// message is stored already, so nothing of it is written). Returns how many were written.
    ///
    /// Most batches hold no stored message: they cost one round trip, `insert` alone. When it is refused (a
    /// redelivery, or a concurrent writer), the stored keys are read and `insert` writes the others; a concurrent
    /// writer that wins meanwhile makes the whole pass retry (``retryingConflicts(_:)``), and the retry counts its
    /// messages as stored.
    ///
    /// - Throws: the `EdgeError` of `insert` or of the lookup (`.writeConflict` after the retries).
    func writeNewMessages<Message>(
        _ candidates: [Message], key: (Message) -> MessageKey, operation: String, insert: ([Message]) async throws -> Void
    ) async throws -> Int {
        var optimistic = true
        return try await retryingConflicts {
            if optimistic {
                optimistic = false
                do {
                    try await insert(candidates)
                    return candidates.count
                } catch let error as EdgeError where error.code == .writeConflict {
                    // Stored before, or by a concurrent writer: look them up, then write what is new.
                }
            }
            let stored = try await storedKeys(candidates.map(key), operation: operation)
            let fresh = stored.isEmpty ? candidates : candidates.filter { !stored.contains(key($0)) }
            if !fresh.isEmpty {
                try await insert(fresh)
            }
            return fresh.count
        }
    }

    /// The keys among `keys` that `ingest_event_ids` holds.
    private func storedKeys(_ keys: [MessageKey], operation: String) async throws -> Set<MessageKey> {
        let rows = try await query("""
            SELECT r.tenant_id, r.event_id::text FROM ingest_event_ids r
            JOIN unnest(\(keys.map(\.tenantID))::text[], \(keys.map(\.eventID))::uuid[]) AS k(tenant_id, event_id)
              ON r.tenant_id = k.tenant_id AND r.event_id = k.event_id
            """, operation)
        var stored = Set<MessageKey>()
        do {
            for try await (tenant, eventID) in rows.decode((String, String).self) {
                stored.insert(MessageKey(tenantID: tenant, eventID: eventID))
            }
        } catch {
            throw PostgresErrors.map(error, operation)
        }
        return stored
    }
}
