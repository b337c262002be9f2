#if canImport(Glibc)
import Glibc
#endif
import AsyncHTTPClient
import FarmIQApp
import FarmIQCore
import FarmIQStorage
import Foundation
import Logging
import MultipartKit
import NIOCore
import NIOHTTP1
import NIOPosix
import WeighVisionSession
import Prometheus

/// `farmiq-edge bench media`: what edge-media-store sustains (issue 7's figures), against a child
/// `serve media-store` on a scratch SQLite database and media root under `directory`:
///
/// 1. `uploads` uploads of a `imageBytes` JPEG from `clients` concurrent clients over loopback: uploads/s, MB/s,
///    p50/p99 latency, the child's peak RSS;
/// 2. the disk's ceiling for the same work without HTTP (write the file, fsync, rename, fsync the directory, same
///    concurrency), and phase 1 as a share of it;
/// 3. `clients` clients each uploading a 10 MiB image at once, to a fresh child: its peak RSS (streaming, not
///    buffering, keeps it flat);
/// 4. session finalization: a backlog of `sessions` due sessions (started, 5 readings, ended) finalized by the
///    real `SessionFinalizer` pass: sessions/s.
public struct MediaBenchmark: Sendable {
    public struct Configuration: Sendable {
        public var uploads: Int
        public var clients: Int
        public var imageBytes: Int
        public var sessions: Int
        public var directory: String
        public var httpPort: Int
        public var executable: String

        public init(uploads: Int, clients: Int, imageBytes: Int, sessions: Int, directory: String, httpPort: Int, executable: String) {
            self.uploads = uploads
            self.clients = clients
            self.imageBytes = imageBytes
            self.sessions = sessions
            self.directory = directory
            self.httpPort = httpPort
            self.executable = executable
        }
    }

    let configuration: Configuration
    let logger: Logger

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws -> String {
        try? FileManager.default.removeItem(atPath: configuration.directory)
        try FileManager.default.createDirectory(atPath: configuration.directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: configuration.directory) }
        var lines = ["media benchmark: \(configuration.uploads) uploads of \(configuration.imageBytes / 1000) KB from \(configuration.clients) clients, "
            + "loopback, SQLite + media root under \(configuration.directory), \(ProcessInfo.processInfo.activeProcessorCount) cores"]

        let image = Self.image(bytes: configuration.imageBytes)
        let http = try await uploadPhase(name: "small", image: image, uploads: configuration.uploads)
        lines.append(String(format: "  HTTP upload:      %.0f uploads/s, %.1f MB/s, p50 %.1f ms, p99 %.1f ms, child peak RSS %.0f MB",
                            http.rate, http.rate * Double(image.count) / 1e6, http.p50 * 1000, http.p99 * 1000, Double(http.peakRSS) / 1e6))
        lines.append(String(format: "  CPU per upload:   media store %.2f ms, the 16 clients %.2f ms (one machine: they share its cores)",
                            http.serverCPU * 1000, http.clientCPU * 1000))
        let ceiling = try await diskCeiling(bytes: image.count, files: configuration.uploads)
        lines.append(String(format: "  disk ceiling:     %.0f files/s, %.1f MB/s (write, fsync, rename, fsync dir; %d at once)",
                            ceiling, ceiling * Double(image.count) / 1e6, configuration.clients))
        lines.append(String(format: "  HTTP / ceiling:   %.0f%%", http.rate / ceiling * 100))

        let big = Self.image(bytes: 10 * 1024 * 1024 - 4096)
        let bigRun = try await uploadPhase(name: "big", image: big, uploads: configuration.clients)
        lines.append(String(format: "  %d × 10 MiB at once: all stored in %.1f s, child peak RSS %.0f MB",
                            configuration.clients, bigRun.wall, Double(bigRun.peakRSS) / 1e6))

        let finalization = try await finalizationPhase()
        lines.append(String(format: "  finalization:     %.0f sessions/s (%d due sessions, SQLite, one transaction each)",
                            finalization, configuration.sessions))
        return lines.joined(separator: "\n")
    }

    /// A valid JPEG of about `bytes` bytes: a top view, then bytes after its end-of-image marker.
    static func image(bytes: Int) -> [UInt8] {
        var random = SystemRandomNumberGenerator()
        let scene = TopViewScene(weightsKg: [2.1, 2.4], using: &random)
        var jpeg = scene.jpeg(using: &random)
        if jpeg.count < bytes { jpeg += (0..<(bytes - jpeg.count)).map { UInt8(truncatingIfNeeded: $0 &* 131) } }
        return jpeg
    }

    struct UploadRun {
        var rate: Double
        /// CPU seconds per upload: the media-store child, and this process (the 16 clients).
        var serverCPU: Double
        var clientCPU: Double
        var p50: Double
        var p99: Double
        var peakRSS: Int
        var wall: Double
    }

    private func uploadPhase(name: String, image: [UInt8], uploads: Int) async throws -> UploadRun {
        let directory = "\(configuration.directory)/\(name)"
        let databaseURL = "sqlite://\(directory)/edge.sqlite"
        try FileManager.default.createDirectory(atPath: directory + "/media", withIntermediateDirectories: true)
        // Register the uploading device directly in the scratch database.
        let token = DeviceToken.generate()
        let database = try EdgeDatabase.open(try DatabaseURL(parsing: databaseURL), logger: logger)
        try await database.migrate()
        try await database.devices.add(DeviceAddress(path: "bench/farm/barn/cam-1")!, token: try IssuedToken(token: token), at: .now())
        database.close()

        let child = Process()
        child.executableURL = URL(fileURLWithPath: configuration.executable)
        child.arguments = ["serve", "media-store"]
        var environment = ProcessInfo.processInfo.environment
        environment["FARMIQ_DATABASE_URL"] = databaseURL
        environment["FARMIQ_MEDIA_ROOT"] = directory + "/media"
        environment["FARMIQ_HTTP_PORT"] = "\(configuration.httpPort)"
        environment["FARMIQ_LOG_LEVEL"] = "warning"
        child.environment = environment
        try child.run()
        defer { if child.isRunning { child.terminate(); child.waitUntilExit() } }
        let base = "http://127.0.0.1:\(configuration.httpPort)"
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.clients)))
        do {
            try await BenchmarkChild.waitUntilReady(child, name: "media-store", http: http, base: base)
            let boundary = "farmiq-bench-boundary"
            let head = ByteBuffer(string: "--\(boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"b.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n")
            let imageBuffer = ByteBuffer(bytes: image)
            let clock = ContinuousClock()
            let start = clock.now
            let cpuStart = (ProcessStats.cpuSeconds(pid: child.processIdentifier) ?? 0, ProcessStats.cpuSeconds(pid: getpid()) ?? 0)
            let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
                for client in 0..<configuration.clients {
                    group.addTask {
                        var latencies: [Double] = []
                        for index in stride(from: client, to: uploads, by: configuration.clients) {
                            var body = head
                            body.writeImmutableBuffer(imageBuffer)
                            body.writeString("\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"event_id\"\r\n\r\n\(EventID.v7())\r\n")
                            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"captured_at\"\r\n\r\n")
                            body.writeString(Timestamp(millisecondsSinceEpoch: 1_780_000_000_000 + Int64(index)).rfc3339 + "\r\n--\(boundary)--\r\n")
                            var request = HTTPClientRequest(url: base + "/api/v1/media/images")
                            request.method = .POST
                            request.headers.add(name: "Authorization", value: "Bearer \(token)")
                            request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
                            request.body = .bytes(body)
                            let sent = clock.now
                            let response = try await http.execute(request, timeout: .seconds(120))
                            _ = try await response.body.collect(upTo: 1 << 16)
                            guard response.status.code == 201 else { throw EdgeError(.internalError, "upload answered \(response.status.code)") }
                            latencies.append((clock.now - sent).seconds)
                        }
                        return latencies
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            let wall = (clock.now - start).seconds
            let sorted = latencies.sorted()
            let run = UploadRun(
                rate: Double(uploads) / wall,
                serverCPU: ((ProcessStats.cpuSeconds(pid: child.processIdentifier) ?? 0) - cpuStart.0) / Double(uploads),
                clientCPU: ((ProcessStats.cpuSeconds(pid: getpid()) ?? 0) - cpuStart.1) / Double(uploads), p50: sorted[sorted.count / 2], p99: sorted[min(sorted.count - 1, sorted.count * 99 / 100)],
                peakRSS: ProcessStats.peakRSS(pid: child.processIdentifier) ?? 0, wall: wall)
            try await http.shutdown()
            return run
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    /// Files/s of the upload's disk work alone, `clients` at once on as many threads.
    private func diskCeiling(bytes: Int, files: Int) async throws -> Double {
        let directory = "\(configuration.directory)/ceiling"
        try FileManager.default.createDirectory(atPath: directory + "/.tmp", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory + "/final", withIntermediateDirectories: true)
        let pool = NIOThreadPool(numberOfThreads: configuration.clients)
        pool.start()
        let data = [UInt8](repeating: 0x5A, count: bytes)
        let clock = ContinuousClock()
        let start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<configuration.clients {
                group.addTask {
                    for index in stride(from: client, to: files, by: configuration.clients) {
                        try await pool.runIfActive {
                            let temporary = "\(directory)/.tmp/\(index).part", final = "\(directory)/final/\(index).jpg"
                            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
                            guard fd >= 0 else { throw EdgeError(.internalError, "open failed") }
                            _ = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                            fsync(fd)
                            close(fd)
                            rename(temporary, final)
                            let dir = open("\(directory)/final", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                            fsync(dir)
                            close(dir)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let rate = Double(files) / (clock.now - start).seconds
        try await pool.shutdownGracefully()
        return rate
    }

    /// Sessions/s of the real finalization pass over a backlog of due sessions.
    private func finalizationPhase() async throws -> Double {
        let databaseURL = "sqlite://\(configuration.directory)/sessions/edge.sqlite"
        try FileManager.default.createDirectory(atPath: "\(configuration.directory)/sessions", withIntermediateDirectories: true)
        let database = try EdgeDatabase.open(try DatabaseURL(parsing: databaseURL), logger: logger)
        try await database.migrate()
        defer { database.close() }
        let address = DeviceAddress(path: "bench/farm/barn/scale-1")!
        let policy = SessionPolicy(grace: .zero, timeout: .seconds(1800))
        let validator = EnvelopeValidator()
        var batch: [DeviceEvent] = []
        let base = Timestamp.now().adding(milliseconds: -600_000)
        func event(_ type: String, _ payload: String, _ at: Timestamp) -> DeviceEvent? {
            let envelope = "{\"schema_version\":1,\"event_id\":\"\(EventID.v7(at: at))\",\"event_type\":\"\(type)\",\"occurred_at\":\"\(at.rfc3339)\",\"payload\":\(payload)}"
            guard case .success(.event(let event)) = validator.validate(topic: "\(address.topicPrefix)/event", payload: Array(envelope.utf8), receivedAt: .now()) else {
                return nil
            }
            return event
        }
        for index in 0..<configuration.sessions {
            let session = EventID.v7()
            let at = base.adding(milliseconds: Int64(index))
            batch.append(contentsOf: [
                event("weighvision.session.started", "{\"session_id\":\"\(session)\",\"station_id\":\"st-1\",\"expected_count\":2}", at),
            ].compactMap { $0 })
            for seq in 0..<5 {
                if let reading = event("weighvision.weight.reading", "{\"session_id\":\"\(session)\",\"seq\":\(seq),\"weight_kg\":\(4.1 + Double(seq) * 0.01),\"stable\":true}", at) {
                    batch.append(reading)
                }
            }
            if let ended = event("weighvision.session.ended", "{\"session_id\":\"\(session)\",\"reason\":\"completed\"}", at) { batch.append(ended) }
            if batch.count >= 2100 {
                _ = try await database.sessions.ingest(batch, policy: policy)
                batch.removeAll()
            }
        }
        if !batch.isEmpty { _ = try await database.sessions.ingest(batch, policy: policy) }
        let finalizer = SessionFinalizer(
            store: database.sessions, metrics: SessionMetrics(registry: PrometheusCollectorRegistry()), logger: logger, batchSize: 500,
            images: EdgeProcess.sessionImages(database))
        let clock = ContinuousClock()
        let start = clock.now
        var finalized = 0
        while finalized < configuration.sessions {
            let count = try await finalizer.pass(now: .now())
            if count == 0 { break }
            finalized += count
        }
        return Double(finalized) / (clock.now - start).seconds
    }
}
