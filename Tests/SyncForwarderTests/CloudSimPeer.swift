import CloudSim
import Foundation
import Logging
import ServiceLifecycle

/// A real cloud-sim, in this process, on a free loopback port with its own data directory.
struct CloudSimPeer: Sendable {
    let server: CloudSimServer
    let port: Int
    var controller: CloudSimController { server.controller }
    var url: String { "http://127.0.0.1:\(port)" }

    static func run<T: Sendable>(faults: CloudSimFaults = CloudSimFaults(), _ body: @Sendable (CloudSimPeer) async throws -> T) async throws -> T {
        let directory = NSTemporaryDirectory() + "farmiq-sync-cloud-" + UUID().uuidString.lowercased()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = CloudSimConfiguration(host: "127.0.0.1", port: 0, dataDirectory: directory, token: "edge-token", faults: faults)
        var logger = Logger(label: "cloud-sim")
        logger.logLevel = .warning
        let (binds, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = try CloudSimServer(configuration: configuration, logger: logger, onBound: { continuation.yield($0) })
        let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = binds.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            do {
                let result = try await body(CloudSimPeer(server: server, port: port))
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }
}
