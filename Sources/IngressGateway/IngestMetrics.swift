import FarmIQCore
import Prometheus

/// The gateway's counters (`contracts.md` §6): messages committed, rejects by reason, duplicates,
/// commit retries, and the size of the batches it commits.
public struct IngestMetrics: Sendable {
    let telemetryMessages: Counter
    let eventMessages: Counter
    let duplicates: Counter
    let commitFailures: Counter
    let batchSize: ValueHistogram
    let pausedDiskFull: Gauge
    private let rejected: [RejectReason: Counter]

    public init(registry: PrometheusCollectorRegistry) {
        telemetryMessages = registry.counter("farmiq_ingest_messages_total", labels: [("kind", "telemetry")],
            help: "Valid MQTT messages committed by the gateway (duplicates included)")
        eventMessages = registry.counter("farmiq_ingest_messages_total", labels: [("kind", "event")],
            help: "Valid MQTT messages committed by the gateway (duplicates included)")
        duplicates = registry.counter("farmiq_ingest_duplicates_total", help: "Messages whose (tenant_id, event_id) was already stored")
        commitFailures = registry.counter("farmiq_ingest_commit_failures_total", help: "Failed batch commits (each retried; nothing is acknowledged before commit)")
        batchSize = registry.histogram("farmiq_ingest_batch_messages", buckets: [1, 10, 50, 100, 250, 500, 1000, 2000],
            help: "Messages per committed batch")
        pausedDiskFull = registry.gauge(
            "farmiq_ingest_paused_disk_full",
            help: "1 while the database volume is above its hard watermark: the gateway acknowledges nothing, the broker queues")
        var rejected: [RejectReason: Counter] = [:]
        for reason in RejectReason.allCases {
            rejected[reason] = registry.counter("farmiq_ingest_rejected_total", labels: [("reason", reason.rawValue)],
                help: "Messages that can never be valid, recorded in ingest_rejects and acknowledged")
        }
        self.rejected = rejected
    }

    func recordCommitted(_ batch: ClassifiedBatch, duplicates duplicateCount: Int) {
        if !batch.telemetry.isEmpty { telemetryMessages.increment(by: Int64(batch.telemetry.count)) }
        if !batch.events.isEmpty { eventMessages.increment(by: Int64(batch.events.count)) }
        if duplicateCount > 0 { duplicates.increment(by: Int64(duplicateCount)) }
        for reject in batch.rejects { rejected[reject.reason]?.increment() }
        batchSize.record(Double(batch.telemetry.count + batch.events.count + batch.rejects.count))
    }
}
