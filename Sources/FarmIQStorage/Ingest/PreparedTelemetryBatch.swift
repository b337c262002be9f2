import FarmIQCore

/// A telemetry batch with the work its commit needs that does not need the database already done: the first
/// occurrence of each `(tenant_id, event_id)`, each message's readings column, and the roll-up deltas as if every
/// message were new. ``TelemetryStore/ingest(_:)-(PreparedTelemetryBatch)`` commits it.
///
/// Why a type of its own: the gateway builds it for batch N+1 while batch N commits, so this work leaves the
/// commit's critical path (on SQLite it had run on the one writer thread and taken a sixth of its samples,
/// `perf` of `farmiq-edge bench ingest`). The stores recompute the deltas for the new messages only when the
/// event-id register refuses some of them (a redelivery).
public struct PreparedTelemetryBatch: Sendable {
    public let messages: [TelemetryMessage]
    /// Indexes into `messages` of each key's first occurrence, in order.
    let unique: [Int]
    /// Messages whose key an earlier message of the batch already has.
    let repeats: Int
    /// `ReadingsColumn` text of `messages[unique[i]]`.
    let readingsColumns: [String]
    /// The roll-up deltas of all of `unique`; right unless the register refuses one of them.
    let deltas: [(key: AggregateKey, delta: AggregateDelta)]

    /// Pure CPU work, O(readings); no I/O.
    public init(_ messages: [TelemetryMessage]) {
        let (unique, repeats) = BatchDeduplication.firstOccurrences(messages) {
            MessageKey(tenantID: $0.address.tenantID, eventID: $0.header.eventID)
        }
        var accumulator = AggregateAccumulator()
        var columns: [String] = []
        columns.reserveCapacity(unique.count)
        for index in unique {
            columns.append(ReadingsColumn.encode(messages[index].readings))
            accumulator.add(messages[index])
        }
        self.messages = messages
        self.unique = unique
        self.repeats = repeats
        self.readingsColumns = columns
        self.deltas = accumulator.deltas
    }
}
