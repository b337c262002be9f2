import AsyncHTTPClient
import FarmIQApp
import FarmIQCore
import FarmIQStorage
import Foundation
import Logging
import Prometheus
import SyncForwarder

/// `farmiq-edge bench drain`: a backlog of N telemetry events in the outbox, then the real forwarder
/// drains it to a child `cloud-sim` over loopback HTTP. Prints events/s, the CPU per event of the forwarder and of
/// `cloud-sim` apart, and this process's peak RSS; then, as the baseline, the textbook claim-and-mark loop on
/// the same database without HTTP (``OutboxDrainBenchmark``, `.skipLocked`). Needs a scratch database.
public enum DrainBenchmark {
    /// `executable`: this binary (it runs `cloud-sim` as a child); `cloudPort`: the child's port.
    public static func run(
        configuration: EdgeConfiguration, events: Int, executable: String, cloudPort: Int = 18_095, logger: Logger
    ) async throws -> String {
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

            // 2. The cloud (a child `cloud-sim`, so its CPU is measured apart from the forwarder's) and the forwarder.
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("farmiq-drain-\(EventID.v7().suffix(12))").path
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let port = cloudPort
            let child = Process()
            child.executableURL = URL(fileURLWithPath: executable)
            child.arguments = ["cloud-sim", "--port", "\(port)", "--data-directory", directory, "--log-level", "warning"]
            try child.run()
            defer { if child.isRunning { child.terminate(); child.waitUntilExit() } }
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            let cloudURL = "http://127.0.0.1:\(port)"
            let result: (seconds: Double, duplicates: Int, forwarderCPU: Double, cloudCPU: Double)
            do {
                try await BenchmarkChild.waitUntilReady(child, name: "cloud-sim", http: http, base: cloudURL, timeout: .seconds(30))
                let forwarder = SyncForwarder(
                    configuration: SyncForwarderConfiguration(cloudURL: cloudURL, token: "bench", edgeID: configuration.edgeID),
                    store: database.outbox, httpClient: http, registry: PrometheusCollectorRegistry(), logger: logger)
                let cpuStart = (ProcessStats.cpuSeconds(pid: getpid()) ?? 0, ProcessStats.cpuSeconds(pid: child.processIdentifier) ?? 0)
                let start = ContinuousClock.now
                result = try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await forwarder.run() }
                    // Every 100 ms (±1% of the run): the stats come from cloud-sim's store.
                    while try await cloudStats(http, base: cloudURL).unique < events {
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    let seconds = (ContinuousClock.now - start).seconds
                    let forwarderCPU = (ProcessStats.cpuSeconds(pid: getpid()) ?? 0) - cpuStart.0
                    let cloudCPU = (ProcessStats.cpuSeconds(pid: child.processIdentifier) ?? 0) - cpuStart.1
                    group.cancelAll()
                    return (seconds, try await cloudStats(http, base: cloudURL).duplicates, forwarderCPU, cloudCPU)
                }
                try await http.shutdown()
            } catch {
                try? await http.shutdown()
                throw error
            }
            let rate = Double(events) / result.seconds
            let catchUp = 17_280_000 / rate
            let peakRSS = ProcessStats.peakRSS(pid: getpid()) ?? 0
            // 3. The baseline on the same database: the textbook claim-500-and-mark loop, no HTTP.
            let baseline = try await OutboxDrainBenchmark.run(.skipLocked, database: database, rows: events, batchSize: 500)
            return """
                drain benchmark: \(events) events, database \(configuration.databaseURL)
                  backlog written in \(String(format: "%.1f", fillSeconds)) s (\(Int(Double(events) / fillSeconds)) events/s through the telemetry store)
                  drained to cloud-sim (gzip, 4 batches of 1000 in flight, loopback): \(Int(rate)) events/s, \(result.duplicates) duplicates
                  CPU per event: forwarder (this process: read, encode, gzip, HTTP) \(micros(result.forwarderCPU, events)) µs, \
                cloud-sim (child: HTTP, gunzip, parse, dedupe store) \(micros(result.cloudCPU, events)) µs
                  peak RSS of this process (the forwarder): \(peakRSS / 1_048_576) MiB
                  catch-up of a 24-hour outage at 200 msg/s (17.28 M events) at this rate: \(Int(catchUp / 60)) min \(Int(catchUp) % 60) s
                  baseline, same database, no HTTP: claim 500 rows (FOR UPDATE SKIP LOCKED on PostgreSQL) and mark them \
                delivered: \(Int(baseline.rowsPerSecond)) rows/s; the drain above is \(String(format: "%.1f", rate / baseline.rowsPerSecond))x that
                """
        }
    }

    private static func micros(_ seconds: Double, _ events: Int) -> String {
        String(format: "%.1f", seconds * 1_000_000 / Double(max(1, events)))
    }

    /// `unique_events` and `duplicate` of `GET /admin/stats`.
    private static func cloudStats(_ http: HTTPClient, base: String) async throws -> (unique: Int, duplicates: Int) {
        let response = try await http.execute(HTTPClientRequest(url: base + "/admin/stats"), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok, let document = try? JSONParser.parse(Array(buffer: body)),
            case .number(let unique)? = document["unique_events"], case .number(let duplicates)? = document["duplicate"]
        else { throw EdgeError(.upstreamUnavailable, "cloud-sim stats unreadable") }
        return (Int(unique.value), Int(duplicates.value))
    }
}
