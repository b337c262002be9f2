import FarmIQCore
import FarmIQMQTT
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
    let oldestUnacknowledgedAge: Gauge
    let poisonMessages: Counter
    let isolationSeconds: Counter
    let mqttConnected: Gauge
    let mqttConnectionsLost: Gauge
    let mqttSessionTakeovers: Gauge
    let mqttUnstableConnections: Gauge
    let mqttSessionsLost: Gauge
    private let rejected: [RejectReason: Counter]
    private let registry: PrometheusCollectorRegistry

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
        oldestUnacknowledgedAge = registry.gauge(
            "farmiq_ingest_oldest_unacknowledged_age_seconds",
            help: "Age of the oldest received message not yet acknowledged to the broker (grows while intake is stalled)")
        poisonMessages = registry.counter(
            "farmiq_ingest_poison_messages_total",
            help: "Valid messages the database refused alone, twice: recorded as commit_failed rejects so the rest flows")
        mqttConnected = registry.gauge("farmiq_mqtt_connected", help: "1 while the gateway's MQTT connection is up (CONNACK accepted)")
        mqttConnectionsLost = registry.gauge(
            "farmiq_mqtt_connections_lost", help: "MQTT connections of the gateway that closed after CONNACK, since the process started")
        mqttSessionTakeovers = registry.gauge(
            "farmiq_mqtt_session_takeovers",
            help: "Times the broker closed the gateway's session because another client connected with its client id, since the process started")
        mqttUnstableConnections = registry.gauge(
            "farmiq_mqtt_unstable_connections",
            help: "Reports of MQTT connections closing again and again soon after CONNACK (a disconnect loop), since the process started")
        isolationSeconds = registry.counter(
            "farmiq_ingest_poison_isolation_seconds_total",
            help: "Time the intake spent bisecting refused batches to isolate poison messages (nothing is acknowledged meanwhile)")
        mqttSessionsLost = registry.gauge(
            "farmiq_mqtt_sessions_lost",
            help: "Reconnects where the broker had no session for the gateway although it asked to resume one (messages queued meanwhile are lost), since the process started")
        self.registry = registry
        var rejected: [RejectReason: Counter] = [:]
        for reason in RejectReason.allCases {
            rejected[reason] = registry.counter("farmiq_ingest_rejected_total", labels: [("reason", reason.rawValue)],
                help: "Messages that can never be valid, recorded in ingest_rejects and acknowledged")
        }
        self.rejected = rejected
    }

    /// Copies the MQTT client's connection counts into their gauges (at scrape time).
    func observe(_ statistics: MQTTClientStatistics, connected: Bool) {
        mqttConnected.set(connected ? 1.0 : 0.0)
        mqttConnectionsLost.set(Double(statistics.connectionsLost.load(ordering: .relaxed)))
        mqttSessionTakeovers.set(Double(statistics.sessionTakeovers.load(ordering: .relaxed)))
        mqttUnstableConnections.set(Double(statistics.unstableConnections.load(ordering: .relaxed)))
        mqttSessionsLost.set(Double(statistics.sessionsLost.load(ordering: .relaxed)))
    }

    /// - Parameter recordedRejects: per reject of the batch, whether it was recorded now (a redelivered
    ///   reject is counted once).
    func recordCommitted(_ batch: ClassifiedBatch, duplicates duplicateCount: Int, recordedRejects: [Bool]) {
        let telemetryCount = batch.telemetry.count + batch.telemetryDuplicates, eventCount = batch.events.count + batch.eventDuplicates
        if telemetryCount > 0 { telemetryMessages.increment(by: Int64(telemetryCount)) }
        if eventCount > 0 { eventMessages.increment(by: Int64(eventCount)) }
        if duplicateCount > 0 { duplicates.increment(by: Int64(duplicateCount)) }
        for (reject, isNew) in zip(batch.rejects, recordedRejects) {
            if isNew { rejected[reject.reason]?.increment() }
            if let ahead = reject.clockAheadSeconds, let address = try? IngestTopic.parse(reject.topic).address {
                // Per device, only for the (rare) devices whose clock is wrong: bounded label cardinality.
                registry.gauge("farmiq_device_clock_ahead_seconds",
                    labels: [("tenant_id", address.tenantID), ("device_id", address.deviceID)],
                    help: "How far a device's clock was ahead of the edge's in its last clock_ahead reject").set(ahead)
            }
        }
        batchSize.record(Double(batch.count))
    }
}
