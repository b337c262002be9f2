import Crypto
import FarmIQCore
import FarmIQStorage

/// A batch split by owner: telemetry for edge-telemetry-timeseries, other device events for the
/// gateway's own event table, rejects for `ingest_rejects`.
public struct ClassifiedBatch: Sendable {
    public var telemetry: [TelemetrySubmission] = []
    /// `telemetry` prepared by the sink ahead of the commit (``TelemetrySink/prepare(_:)``); parts of a split batch have none.
    var preparedTelemetry: PreparedTelemetryBatch?
    public var events: [DeviceEvent] = []
    /// The received message of each of `events`, same order (a poison event is recorded from it).
    var eventSources: [ReceivedMessage] = []
    public var rejects: [IngestReject] = []
    /// Repeats of a `(tenant_id, event_id)` earlier in the same batch, whatever their topic: the first
    /// received wins (the stores, which commit telemetry before events, would otherwise pick by kind).
    public var duplicates: Int { telemetryDuplicates + eventDuplicates }
    /// Those of ``duplicates`` that came on a telemetry topic.
    var telemetryDuplicates = 0
    /// Those of ``duplicates`` that came on an event topic.
    var eventDuplicates = 0

    init() {}

    /// Messages in the batch that go to a store.
    public var count: Int { telemetry.count + events.count + rejects.count }

    /// Validates every message. Pure: no I/O, nothing thrown; a bad message becomes a reject.
    public init(_ messages: [ReceivedMessage], validator: EnvelopeValidator) {
        var seen = Set<EventKey>(minimumCapacity: messages.count)
        for received in messages {
            if let size = received.discardedPayloadSize {
                rejects.append(received.reject(
                    .payloadTooLarge, "payload is \(size) bytes, limit \(validator.maxPayloadBytes); discarded as it arrived",
                    payloadSize: size))
                continue
            }
            switch validator.validate(topic: received.topic, payload: received.payload, receivedAt: received.receivedAt) {
            case .success(.telemetry(let message)) where !seen.insert(EventKey(tenantID: message.address.tenantID, eventID: message.header.eventID)).inserted:
                telemetryDuplicates += 1
            case .success(.event(let event)) where !seen.insert(EventKey(tenantID: event.address.tenantID, eventID: event.header.eventID)).inserted:
                eventDuplicates += 1
            case .success(.telemetry(let message)):
                telemetry.append(TelemetrySubmission(message: message, source: received))
            case .success(.event(let event)):
                events.append(event)
                eventSources.append(received)
            case .failure(let rejection):
                rejects.append(received.reject(rejection.reason, rejection.detail, clockAheadSeconds: rejection.clockAheadSeconds))
            }
        }
    }

    /// Splits the batch into two halves of (about) equal message count, each keeping receive order within
    /// its kind: how a batch whose commit always fails is narrowed down to the message that fails it.
    func halves() -> (ClassifiedBatch, ClassifiedBatch) {
        var first = ClassifiedBatch(), second = ClassifiedBatch()
        var remaining = count / 2
        func take<T>(_ items: [T]) -> (ArraySlice<T>, ArraySlice<T>) {
            let cut = min(remaining, items.count)
            remaining -= cut
            return (items[..<cut], items[cut...])
        }
        let (t1, t2) = take(telemetry)
        let eventCut = min(remaining, events.count)
        let (e1, e2) = take(events)
        let (r1, r2) = take(rejects)
        first.telemetry = Array(t1); second.telemetry = Array(t2)
        first.events = Array(e1); second.events = Array(e2)
        first.eventSources = Array(eventSources[..<eventCut]); second.eventSources = Array(eventSources[eventCut...])
        first.rejects = Array(r1); second.rejects = Array(r2)
        first.telemetryDuplicates = telemetryDuplicates
        first.eventDuplicates = eventDuplicates
        return (first, second)
    }

    /// The batch with its one message replaced by a ``RejectReason/commitFailed`` reject naming `cause`.
    /// Only for a batch of one telemetry message or one device event.
    func poisoned(cause: String) -> ClassifiedBatch {
        let source = telemetry.first?.source ?? eventSources.first
        var batch = ClassifiedBatch()
        batch.telemetryDuplicates = telemetryDuplicates
        batch.eventDuplicates = eventDuplicates
        batch.rejects = source.map { [$0.reject(.commitFailed, "the database refused it: \(cause.prefix(500))")] } ?? rejects
        return batch
    }
}

/// `(tenant_id, event_id)`: the identity of a message in the edge's one event-id space per tenant.
struct EventKey: Hashable {
    let tenantID: String
    let eventID: String
}
