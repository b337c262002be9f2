import FarmIQCore

/// What cloud-sim has seen. Event and media counts are persistent (they survive restarts, like the store);
/// request and in-flight figures count since this process started.
public struct CloudSimStats: Sendable, Equatable {
    // Persistent (the store).
    public var accepted = 0
    public var duplicate = 0
    public var rejected = 0
    /// Distinct `(tenant_id, event_id)` stored; equals `accepted` (both are written in one transaction).
    public var uniqueEvents = 0
    /// Distinct events that arrived more than once.
    public var redeliveredEvents = 0
    /// Batches processed (not those refused by a fault or as malformed).
    public var batches = 0
    public var mediaStored = 0
    public var mediaDuplicate = 0
    /// `media.stored` events received before their image's bytes (must stay 0, `contracts.md` §4).
    public var mediaEventBeforeBytes = 0

    // Since start.
    public var requests = 0
    public var unauthorized = 0
    public var badRequests = 0
    /// Requests answered `413` (body over a limit); also counted in `badRequests`.
    public var tooLarge = 0
    /// Batches refused whole by the `refuse_event_ids` fault.
    public var refused = 0
    public var throttled = 0
    public var serverErrors = 0
    public var resets = 0
    public var unavailable = 0
    public var mediaHashMismatch = 0
    public var batchesInFlight = 0
    public var maxBatchesInFlight = 0
    /// The highest number of batches in flight at the same time that contained one same event (1 = never overlapped).
    public var maxConcurrentSameEvent = 0
    /// Events that were in two or more in-flight batches at the same time, and a sample of them (`tenant/event_id`).
    public var overlappingEvents = 0
    public var overlappingSample: [String] = []
    public var isDown = false

    public init() {}

    var json: JSONValue {
        func n(_ value: Int) -> JSONValue { .number(JSONNumber(value)) }
        return .object([
            ("accepted", n(accepted)), ("duplicate", n(duplicate)), ("rejected", n(rejected)),
            ("unique_events", n(uniqueEvents)), ("redelivered_events", n(redeliveredEvents)), ("batches", n(batches)),
            ("media_stored", n(mediaStored)), ("media_duplicate", n(mediaDuplicate)), ("media_event_before_bytes", n(mediaEventBeforeBytes)), ("media_hash_mismatch", n(mediaHashMismatch)),
            ("requests", n(requests)), ("unauthorized", n(unauthorized)), ("bad_requests", n(badRequests)),
            ("too_large", n(tooLarge)), ("refused", n(refused)),
            ("throttled", n(throttled)), ("server_errors", n(serverErrors)), ("resets", n(resets)), ("unavailable", n(unavailable)),
            ("batches_in_flight", n(batchesInFlight)), ("max_batches_in_flight", n(maxBatchesInFlight)),
            ("max_concurrent_same_event", n(maxConcurrentSameEvent)), ("overlapping_events", n(overlappingEvents)),
            ("overlapping_sample", .array(overlappingSample.map { .string($0) })),
            ("down", .bool(isDown)),
        ])
    }
}

/// One stored event as cloud-sim saw it (`GET /admin/events/{tenant_id}/{event_id}`).
public struct CloudSimEventRecord: Sendable, Equatable {
    public let tenantID: String
    public let eventID: String
    public let eventType: String
    /// The batch that delivered it first.
    public let batchID: String
    /// How many times it was received in processed batches (1 = exactly once).
    public let receiveCount: Int
    /// The most batches in flight at the same time that held it (since this process started).
    public let maxConcurrentInFlight: Int

    var json: JSONValue {
        .object([
            ("tenant_id", .string(tenantID)), ("event_id", .string(eventID)), ("event_type", .string(eventType)),
            ("batch_id", .string(batchID)), ("receive_count", .number(JSONNumber(receiveCount))),
            ("max_concurrent_in_flight", .number(JSONNumber(maxConcurrentInFlight))),
        ])
    }
}
