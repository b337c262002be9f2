import AsyncHTTPClient
import CloudSim
import FarmIQApp
import FarmIQCore
import FarmIQStorage
import Foundation
import Logging
import Prometheus
import SyncForwarder

/// `farmiq-edge bench drain`: a backlog of N telemetry events in the outbox, then the real forwarder
/// drains it to an in-process `cloud-sim` over loopback HTTP. Prints events/s and this process's peak
/// RSS (forwarder and cloud-sim together); then, as the baseline, the textbook claim-and-mark loop on
/// the same database without HTTP (``OutboxDrainBenchmark``, `.skipLocked`). Needs a scratch database.
public enum DrainBenchmark {
    public static func run(configuration: EdgeConfiguration, events: Int, logger: Logger) async throws -> String {
        try await EdgeTools.withDatabase(configuration, logger: logger) { database in
            try await database.migrate()
            let before = try await database.outbox.stats(now: .now())
            guard before.pending == 0 else {
                throw EdgeError(.invalidRequest, "bench drain needs a scratch database: \(before.pending) events are pending")
            }
            // 1. The backlog: telemetry messages through the real store (raw + roll-ups + outbox).
            let fillStart = ContinuousClock.now
            let tenant = OutboxBenchmarkMode.scratchTenant
            let base = Timestamp.now()
            var written = 0
            while written < events {
                let count = min(1000, events - written)
                let batch = (0..<count).map { i -> TelemetryMessage in
                    let at = base.adding(milliseconds: Int64(written + i))
                    return TelemetryMessage(
                        address: DeviceAddress(tenantID: tenant, farmID: "farm", barnID: "barn", deviceID: "dev-\((written + i) % 50)")!,
                        header: EnvelopeHeader(schemaVersion: 1, eventID: EventID.v7(at: at), eventType: "telemetry.reading", occurredAt: at, traceID: nil),
                        readings: [Reading(metric: "temperature", value: 21.5, unit: "celsius")],
                        payload: .object([("readings", .array([.object([("metric", .string("temperature")), ("value", .number(JSONNumber(21.5))), ("unit", .string("celsius"))])]))]),
                        receivedAt: at)
                }
                _ = try await database.telemetry.ingest(batch)
                written += count
            }
            let fillSeconds = (ContinuousClock.now - fillStart).seconds

            // 2. The cloud and the forwarder.
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("farmiq-drain-\(EventID.v7().suffix(12))").path
            let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
            let cloud = try CloudSimServer(
                configuration: CloudSimConfiguration(host: "127.0.0.1", port: 0, dataDirectory: directory, token: "bench"),
                logger: logger, onBound: { continuation.yield($0) })
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            let result: (Double, Int) = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await cloud.run() }
                var iterator = ports.makeAsyncIterator()
                guard let port = await iterator.next() else { throw EdgeError(.internalError, "cloud-sim did not bind") }
                let forwarder = SyncForwarder(
                    configuration: SyncForwarderConfiguration(cloudURL: "http://127.0.0.1:\(port)", token: "bench", edgeID: configuration.edgeID),
                    store: database.outbox, httpClient: http, registry: PrometheusCollectorRegistry(), logger: logger)
                let start = ContinuousClock.now
                group.addTask { try await forwarder.run() }
                while try await cloud.controller.stats().uniqueEvents < events {
                    try await Task.sleep(for: .milliseconds(50))
                }
                let seconds = (ContinuousClock.now - start).seconds
                group.cancelAll()
                return (seconds, try await cloud.controller.stats().duplicate)
            }
            try await http.shutdown()
            let rate = Double(events) / result.0
            let catchUp = 17_280_000 / rate
            let peakRSS = ProcessStats.peakRSS(pid: getpid()) ?? 0
            // 3. The baseline on the same database: the textbook claim-500-and-mark loop, no HTTP.
            let baseline = try await OutboxDrainBenchmark.run(.skipLocked, database: database, rows: events, batchSize: 500)
            return """
                drain benchmark: \(events) events, database \(configuration.databaseURL)
                  backlog written in \(String(format: "%.1f", fillSeconds)) s (\(Int(Double(events) / fillSeconds)) events/s through the telemetry store)
                  drained to cloud-sim (gzip, 4 batches of 1000 in flight, loopback): \(Int(rate)) events/s, \(result.1) duplicates
                  peak RSS of this process (forwarder + cloud-sim): \(peakRSS / 1_048_576) MiB
                  catch-up of a 24-hour outage at 200 msg/s (17.28 M events) at this rate: \(Int(catchUp / 60)) min \(Int(catchUp) % 60) s
                  baseline, same database, no HTTP: claim 500 rows (FOR UPDATE SKIP LOCKED on PostgreSQL) and mark them \
                delivered: \(Int(baseline.rowsPerSecond)) rows/s; the drain above is \(String(format: "%.1f", rate / baseline.rowsPerSecond))x that
                """
        }
    }
}
