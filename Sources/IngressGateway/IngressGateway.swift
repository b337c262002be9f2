import FarmIQCore
import FarmIQMQTT
import FarmIQStorage
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// edge-ingress-gateway: MQTT → validated batches → owners, acknowledged only after commit.
///
/// A reader moves messages from the MQTT client into an ``IngestQueue``; a committer takes what is
/// waiting (group commit), validates it, hands telemetry to the ``TelemetrySink``, stores other
/// device events and rejects in its own tables, and only then sends the PUBACKs, in receive order.
/// A failed commit is retried with backoff until it succeeds: nothing is acknowledged before commit,
/// and the broker holds (and redelivers) what is unacknowledged if the gateway dies.
///
/// Graceful shutdown stops intake, commits and acknowledges what was received, then returns; the
/// MQTT client (started before it in the service group) disconnects after.
public final class IngressGateway: Service, Sendable {
    struct Pending: Sendable {
        let mqtt: MQTTMessage
        let received: ReceivedMessage
    }

    let configuration: IngressGatewayConfiguration
    let mqtt: MQTTClient
    let telemetry: any TelemetrySink
    let store: any IngressStore
    let metrics: IngestMetrics
    let logger: Logger
    private let subscribed = Atomic<Bool>(false)

    public init(
        configuration: IngressGatewayConfiguration,
        mqtt: MQTTClient,
        telemetry: any TelemetrySink,
        store: any IngressStore,
        metrics: IngestMetrics,
        logger: Logger
    ) {
        self.configuration = configuration
        self.mqtt = mqtt
        self.telemetry = telemetry
        self.store = store
        self.metrics = metrics
        self.logger = logger
    }

    /// True once the shared subscriptions are active and the broker connection is up.
    public var isReady: Bool {
        subscribed.load(ordering: .relaxed) && mqtt.isConnected
    }

    public func run() async throws {
        let queue = IngestQueue<Pending>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.commitLoop(queue) }
            // Subscribing runs beside the intake, not before it: with a resumed session the broker
            // sends the messages it kept before the SUBACK, and the client reads the SUBACK only once
            // some of them are acknowledged (it holds socket reads at its Receive Maximum), so waiting
            // for the SUBACK first could wait forever.
            group.addTask { await cancelWhenGracefulShutdown { try? await self.subscribe() } }
            // Graceful shutdown cancels the intake task, which ends the stream's iteration; the
            // messages still buffered in it stay unacknowledged and the broker redelivers them.
            // (Cheaper per message than `cancelOnGracefulShutdown()`, which merges two sequences.)
            let mqtt = self.mqtt
            await cancelWhenGracefulShutdown {
                for await message in mqtt.messages {
                    let payload = Array(message.payload.readableBytesView)
                    // Keep only what the acknowledgement needs: the payload slice would pin the whole
                    // read buffer it came from until the batch commits.
                    var ackHandle = message
                    ackHandle.payload = ByteBuffer()
                    queue.append(Pending(mqtt: ackHandle, received: ReceivedMessage(topic: message.topic, payload: payload, receivedAt: .now())))
                }
            }
            logger.info("gateway intake stopped; committing what was received", metadata: ["queue.count": "\(queue.count)"])
            queue.finish()
            try await group.waitForAll()
        }
        logger.info("gateway stopped")
    }

    private func subscribe() async throws {
        var backoff = RetryBackoff(base: configuration.retryBase, cap: configuration.retryCap)
        while true {
            do {
                try await mqtt.waitUntilConnected()
                let subscriptions = configuration.topicFilters.map { MQTTSubscription(topicFilter: $0, qos: .atLeastOnce) }
                let results = try await mqtt.subscribe(subscriptions)
                logger.info("gateway subscribed", metadata: ["mqtt.filters": "\(configuration.topicFilters)", "mqtt.results": "\(results)"])
                subscribed.store(true, ordering: .relaxed)
                return
            } catch {
                try Task.checkCancellation()
                logger.warning("subscribe failed; retrying", metadata: ["error": "\(error)"])
                try await Task.sleep(for: backoff.next())
            }
        }
    }

    /// Two stages: validation of batch N+1 runs while batch N commits (``PipelineSlot``); commits
    /// and acknowledgements stay in receive order, one batch at a time.
    private func commitLoop(_ queue: IngestQueue<Pending>) async throws {
        let slot = PipelineSlot<(batch: [Pending], classified: ClassifiedBatch)>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while true {
                    let batch = await queue.next(maximum: self.configuration.batchSize)
                    if batch.isEmpty { break }
                    let classified = ClassifiedBatch(batch.map(\.received), validator: self.configuration.validator)
                    guard await slot.put((batch, classified)) else { break }
                }
                slot.finish()
            }
            defer { slot.close() }
            while let (batch, classified) = await slot.take() {
                try await waitForDiskSpace()
                let duplicates = try await commitWithRetry(classified)
                mqtt.acknowledge(batch.map(\.mqtt))
                metrics.recordCommitted(classified, duplicates: duplicates)
            }
            try await group.waitForAll()
        }
    }

    /// Holds the batch (unacknowledged) while the database volume is above its hard watermark.
    /// A graceful shutdown meanwhile leaves it unacknowledged: the broker redelivers it later.
    private func waitForDiskSpace() async throws {
        guard let watermark = configuration.diskWatermark, var ratio = watermark.exceeded() else { return }
        metrics.pausedDiskFull.set(1.0)
        logger.error("database volume above its hard watermark: intake paused, nothing acknowledged; the broker queues", metadata: [
            "volume.used_ratio": "\(ratio)", "volume.hard_watermark": "\(watermark.hardRatio)", "volume.path": "\(watermark.path)",
        ])
        while true {
            try await Task.sleep(for: .seconds(1))
            guard let current = watermark.exceeded() else { break }
            ratio = current
        }
        metrics.pausedDiskFull.set(0.0)
        logger.notice("database volume below its hard watermark again: intake resumed", metadata: ["volume.used_ratio": "\(ratio)"])
    }

    /// Commits the batch, retrying until it succeeds. Every step is idempotent, so a retry after a
    /// partial success (telemetry committed, events not) stores nothing twice.
    private func commitWithRetry(_ batch: ClassifiedBatch) async throws -> Int {
        var backoff = RetryBackoff(base: configuration.retryBase, cap: configuration.retryCap)
        while true {
            do {
                return try await commit(batch)
            } catch {
                metrics.commitFailures.increment()
                let wait = backoff.next()
                logger.warning(
                    "batch commit failed; retrying, nothing acknowledged",
                    metadata: ["error": "\(error)", "batch.count": "\(batch.telemetry.count + batch.events.count + batch.rejects.count)",
                               "retry.attempt": "\(backoff.attempt)"])
                // A cancelled task (not a graceful shutdown) leaves the batch unacknowledged: the broker redelivers it.
                try await Task.sleep(for: wait)
            }
        }
    }

    private func commit(_ batch: ClassifiedBatch) async throws -> Int {
        var duplicates = 0
        if !batch.telemetry.isEmpty {
            duplicates += try await telemetry.submit(batch.telemetry).duplicates
        }
        if !batch.events.isEmpty {
            duplicates += try await store.storeEvents(batch.events).duplicates
        }
        if !batch.rejects.isEmpty {
            try await store.recordRejects(batch.rejects)
            for reject in batch.rejects {
                logger.notice("message rejected", metadata: [
                    "reject.reason": "\(reject.reason.rawValue)", "reject.detail": "\(reject.detail)",
                    "tenant.id": "\(reject.tenantID ?? "-")", "mqtt.topic": "\(reject.topic)",
                ])
            }
        }
        return duplicates
    }
}
