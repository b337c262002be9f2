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
    /// Where `weighvision.*` session events go; `nil`: stored as generic device events (no session service).
    let sessions: (any SessionSink)?
    let store: any IngressStore
    let metrics: IngestMetrics
    let logger: Logger
    private let subscribed = Atomic<Bool>(false)
    /// Receipt time (ms since the epoch) of the oldest message not yet acknowledged; 0 when none.
    private let oldestUnacknowledged = Atomic<Int64>(0)

    public init(
        configuration: IngressGatewayConfiguration,
        mqtt: MQTTClient,
        telemetry: any TelemetrySink,
        sessions: (any SessionSink)? = nil,
        store: any IngressStore,
        metrics: IngestMetrics,
        logger: Logger
    ) {
        self.configuration = configuration
        self.mqtt = mqtt
        self.telemetry = telemetry
        self.sessions = sessions
        self.store = store
        self.metrics = metrics
        self.logger = logger
    }

    /// True once the shared subscriptions are active and the broker connection is up.
    public var isReady: Bool {
        subscribed.load(ordering: .relaxed) && mqtt.isConnected
    }

    public func run() async throws {
        let queue = IngestQueue<Pending>(weight: { $0.received.payload.count })
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
                // One element per socket read: the consumer wakes, and the queue is locked, once per read.
                for await messages in mqtt.messageBatches {
                    let receivedAt = Timestamp.now()
                    var pending: [Pending] = []
                    pending.reserveCapacity(messages.count)
                    for message in messages {
                        let payload = Array(message.payload.readableBytesView)
                        // Keep only what the acknowledgement needs: the payload slice would pin the whole
                        // read buffer it came from until the batch commits.
                        var ackHandle = message
                        ackHandle.payload = ByteBuffer()
                        pending.append(Pending(mqtt: ackHandle, received: ReceivedMessage(
                            topic: message.topic, payload: payload, receivedAt: receivedAt, discardedPayloadSize: message.discardedPayloadSize)))
                    }
                    queue.append(contentsOf: pending)
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
                // Retain Handling 2: the broker never replays retained messages on (re)subscribe; live
                // messages still arrive. (MQTT 3.1.1 has no such option: the event-id register and the
                // reject fingerprints then make a replay a duplicate.)
                let subscriptions = configuration.topicFilters.map {
                    MQTTSubscription(topicFilter: $0, qos: .atLeastOnce, retainHandling: .doNotSend)
                }
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

    /// Two stages: validation of batch N+1, and the telemetry sink's preparation of it, run while batch N commits
    /// (``PipelineSlot``); commits
    /// and acknowledgements stay in receive order, one batch at a time.
    private func commitLoop(_ queue: IngestQueue<Pending>) async throws {
        let slot = PipelineSlot<(batch: [Pending], classified: ClassifiedBatch)>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while true {
                    let batch = await queue.next(maximum: self.configuration.batchSize, maximumWeight: self.configuration.batchBytes)
                    if batch.isEmpty { break }
                    var classified = ClassifiedBatch(batch.map(\.received), validator: self.configuration.validator)
                    if !classified.telemetry.isEmpty { classified.preparedTelemetry = self.telemetry.prepare(classified.telemetry) }
                    guard await slot.put((batch, classified)) else { break }
                }
                slot.finish()
            }
            defer { slot.close() }
            while let (batch, classified) = await slot.take() {
                oldestUnacknowledged.store(batch.first?.received.receivedAt.millisecondsSinceEpoch ?? 0, ordering: .relaxed)
                refreshStallGauge()
                try await waitForDiskSpace()
                try await commitIsolatingPoison(classified)
                mqtt.acknowledge(batch.map(\.mqtt))
                oldestUnacknowledged.store(0, ordering: .relaxed)
                metrics.oldestUnacknowledgedAge.set(0.0)
            }
            try await group.waitForAll()
        }
    }

    /// Age of the oldest message received and not yet acknowledged, in seconds (0: none). Grows while a
    /// commit is retried or intake is paused: `farmiq_ingest_oldest_unacknowledged_age_seconds`.
    public var oldestUnacknowledgedAgeSeconds: Double {
        let since = oldestUnacknowledged.load(ordering: .relaxed)
        guard since > 0 else { return 0 }
        return max(0, Double(Timestamp.now().millisecondsSinceEpoch - since) / 1000)
    }

    /// False while the oldest unacknowledged message is older than the stall threshold: readiness says so.
    public var isIntakeFlowing: Bool {
        oldestUnacknowledgedAgeSeconds < configuration.stallThreshold.seconds
    }

    /// Refreshes the gauges read at scrape time: the oldest unacknowledged age and the MQTT connection counts.
    public func refreshScrapedMetrics() {
        refreshStallGauge()
        metrics.observe(mqtt.statistics, connected: mqtt.isConnected)
    }

    private func refreshStallGauge() {
        metrics.oldestUnacknowledgedAge.set(oldestUnacknowledgedAgeSeconds)
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
            refreshStallGauge()
            guard let current = watermark.exceeded() else { break }
            ratio = current
        }
        metrics.pausedDiskFull.set(0.0)
        logger.notice("database volume below its hard watermark again: intake resumed", metadata: ["volume.used_ratio": "\(ratio)"])
    }

    /// Commits the batch; nothing returns before it is committed. Every step is idempotent, so a retry after
    /// a partial success (telemetry committed, events not) stores nothing twice.
    ///
    /// - A transient failure (database or telemetry service unavailable, write conflict, disk full) retries the
    ///   whole batch with backoff; nothing is acknowledged meanwhile.
    /// - ``FarmIQCore/EdgeError/Code/dataRejected`` twice in a row (the database refuses this data the same way
    ///   again; the second try follows at once) splits the batch in halves, each committed on its own, and a
    ///   refused half is split again at once, down to single messages; a message the database refuses alone is
    ///   recorded in `ingest_rejects` as `commit_failed` with the database's reason, and acknowledged with the
    ///   rest. k poison messages in a batch of n cost about 2·k·log2(n/k) small commits, no sleeps.
    private func commitIsolatingPoison(_ batch: ClassifiedBatch) async throws {
        var backoff = RetryBackoff(base: configuration.retryBase, cap: configuration.retryCap)
        var refusals = 0
        while true {
            do {
                try await commit(batch)
                return
            } catch let error as EdgeError where error.code == .dataRejected {
                metrics.commitFailures.increment()
                refusals += 1
                if refusals == 1 {
                    logger.warning("batch refused by the database; trying it once more before isolating the cause", metadata: [
                        "error": "\(error)", "batch.count": "\(batch.count)"])
                    continue
                }
                let started = ContinuousClock.now
                try await isolate(batch, cause: error)
                metrics.isolationSeconds.increment(by: (ContinuousClock.now - started).seconds)
                return
            } catch {
                metrics.commitFailures.increment()
                let wait = backoff.next()
                logger.warning(
                    "batch commit failed; retrying, nothing acknowledged",
                    metadata: ["error": "\(error)", "batch.count": "\(batch.count)", "retry.attempt": "\(backoff.attempt)"])
                // A cancelled task (not a graceful shutdown) leaves the batch unacknowledged: the broker redelivers it.
                try await Task.sleep(for: wait)
                refreshStallGauge()
            }
        }
    }

    /// Bisects a batch the database refused until each refused message is alone, then records it as poison.
    /// A refusal of a part is not tried twice (the whole was); a transient failure of a part is retried with
    /// backoff by ``commitIsolatingPoison(_:)``'s rules.
    private func isolate(_ batch: ClassifiedBatch, cause: EdgeError) async throws {
        guard batch.count > 1 else {
            return try await recordPoison(batch, cause: cause)
        }
        let (first, second) = batch.halves()
        for part in [first, second] where part.count > 0 || part.duplicates > 0 {
            do {
                try await commit(part)
            } catch let error as EdgeError where error.code == .dataRejected {
                metrics.commitFailures.increment()
                logger.debug("part of a refused batch refused; splitting it", metadata: ["error": "\(error)", "batch.count": "\(part.count)"])
                try await isolate(part, cause: error)
            } catch {
                try await commitIsolatingPoison(part)
            }
        }
    }

    /// A single message the database refused twice: recorded as a `commit_failed` reject (acknowledged after).
    private func recordPoison(_ batch: ClassifiedBatch, cause: EdgeError) async throws {
        metrics.poisonMessages.increment()
        let poisoned = batch.poisoned(cause: cause.message)
        guard batch.rejects.isEmpty else {
            // The reject itself cannot be stored: the log is its only record.
            logger.error("a reject could not be recorded; acknowledged, kept only in this log line", metadata: [
                "error": "\(cause)", "mqtt.topic": "\(batch.rejects[0].topic)", "reject.reason": "\(batch.rejects[0].reason.rawValue)"])
            return
        }
        logger.error("message refused by the database twice: recorded as a reject, acknowledged, intake continues", metadata: [
            "error": "\(cause)", "mqtt.topic": "\(poisoned.rejects.first?.topic ?? "-")"])
        try await commitIsolatingPoison(poisoned)
    }

    /// One attempt: telemetry and session events to their owners, other device events and rejects to the
    /// gateway's tables; metrics on success.
    private func commit(_ batch: ClassifiedBatch) async throws {
        var duplicates = batch.duplicates
        if !batch.telemetry.isEmpty {
            duplicates += try await telemetry.submit(batch.telemetry, prepared: batch.preparedTelemetry).duplicates
        }
        if !batch.events.isEmpty {
            var others: [DeviceEvent] = []
            var sessionEvents: [SessionSubmission] = []
            for (event, source) in zip(batch.events, batch.eventSources) {
                if sessions != nil, SessionEvent.eventTypes.contains(event.header.eventType) {
                    sessionEvents.append(SessionSubmission(event: event, source: source))
                } else {
                    others.append(event)
                }
            }
            if let sessions, !sessionEvents.isEmpty {
                duplicates += try await sessions.submit(sessionEvents).duplicates
            }
            if !others.isEmpty {
                duplicates += try await store.storeEvents(others).duplicates
            }
        }
        var recorded: [Bool] = []
        if !batch.rejects.isEmpty {
            recorded = try await store.recordRejects(batch.rejects)
            for (reject, isNew) in zip(batch.rejects, recorded) where isNew {
                logger.notice("message rejected", metadata: [
                    "reject.reason": "\(reject.reason.rawValue)", "reject.detail": "\(reject.detail)",
                    "tenant.id": "\(reject.tenantID ?? "-")", "mqtt.topic": "\(reject.topic)",
                ])
            }
        }
        metrics.recordCommitted(batch, duplicates: duplicates, recordedRejects: recorded)
    }
}
