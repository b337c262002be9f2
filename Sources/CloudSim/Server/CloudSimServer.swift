import FarmIQCore
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `farmiq-edge cloud-sim`: the cloud side of `contracts.md` §4 as a **test peer** (not the cloud).
///
/// Accepts event batches and media like cloud-ingestion would, dedupes events by `(tenant_id, event_id)` in
/// its own SQLite file (so a restart keeps them), counts what it saw, and injects faults on request
/// (see ``CloudSimFaults``; change them at run time with ``controller`` or `POST /admin/faults`).
///
/// While down in `refuse` mode the listener is closed, so connections are refused; when the period ends it
/// listens again on the same port. `run()` returns on graceful shutdown.
public struct CloudSimServer: Service {
    public let configuration: CloudSimConfiguration
    /// Faults, down/up and stats at run time.
    public let controller: CloudSimController
    private let logger: Logger
    private let onBound: (@Sendable (Int) async -> Void)?

    /// Opens (creating) the data directory and the store. `onBound` is called with the bound port each time the
    /// listener opens (at start, and again after a down period).
    public init(configuration: CloudSimConfiguration, logger: Logger, onBound: (@Sendable (Int) async -> Void)? = nil) throws {
        do {
            try FileManager.default.createDirectory(atPath: configuration.dataDirectory + "/media", withIntermediateDirectories: true)
        } catch {
            throw EdgeError(.invalidConfiguration, "cannot create the cloud-sim data directory \(configuration.dataDirectory)", cause: error)
        }
        let store = try CloudSimStore(path: configuration.dataDirectory + "/cloud-sim.sqlite")
        self.configuration = configuration
        self.controller = CloudSimController(faults: configuration.faults, store: store)
        self.logger = logger
        self.onBound = onBound
    }

    /// How long requests in flight when cloud-sim goes down may still finish.
    static let downGracePeriod: Duration = .milliseconds(100)

    private enum Outcome: Sendable {
        case stopped
        case goingDown
    }

    public func run() async throws {
        defer { controller.store.close() }
        let routes = CloudSimRoutes(
            configuration: configuration, controller: controller,
            media: MediaFiles(root: configuration.dataDirectory + "/media"), logger: logger)
        var port = configuration.port
        var hasListened = false
        logger.info("cloud-sim starting (a test peer, not the cloud)", metadata: [
            "http.host": "\(configuration.host)", "http.port": "\(configuration.port)", "data.directory": "\(configuration.dataDirectory)",
        ])
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            if controller.refusesConnections {
                logger.info("cloud-sim is down: not listening", metadata: ["down.remaining_ms": "\(controller.downRemaining?.milliseconds ?? 0)"])
                while controller.refusesConnections, !Task.isShuttingDownGracefully {
                    try await Task.sleep(for: .milliseconds(20))
                }
                continue
            }
            let router = Router(context: CloudSimRequestContext.self)
            routes.register(on: router)
            let boundPort = NIOLockedValueBox<Int?>(nil)
            let onBound = self.onBound
            let app = Application(
                router: router,
                configuration: .init(address: .hostname(configuration.host, port: port), serverName: "farmiq-cloud-sim"),
                onServerRunning: { channel in
                    let bound = channel.localAddress?.port ?? 0
                    boundPort.withLockedValue { $0 = bound }
                    await onBound?(bound)
                },
                logger: logger)
            let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
            let controller = self.controller
            // Down requests made before this listener opens were served by the period just over.
            let handled = controller.downRequested
            if controller.refusesConnections { continue }  // asked for between the check above and now
            let outcome: Outcome
            do {
                outcome = try await withThrowingTaskGroup(of: Outcome.self) { tasks in
                    tasks.addTask {
                        try await group.run()
                        return .stopped
                    }
                    tasks.addTask {
                        for await _ in controller.downRequests where controller.downRequested > handled {
                            // Requests in flight (the admin call that asked for it, say) may still finish.
                            try? await Task.sleep(for: CloudSimServer.downGracePeriod)
                            return .goingDown
                        }
                        return .stopped
                    }
                    let first = try await tasks.next() ?? .stopped
                    if first == .goingDown {
                        // Close the listener (graceful shutdown of the HTTP server: cancelling it while connections
                        // arrive can trap in NIO), and reset every open connection, idle keep-alive ones included,
                        // as an outage would. If something still holds the server after a while, cancel it.
                        await group.triggerGracefulShutdown()
                        await controller.connections.resetAll()
                        tasks.addTask {
                            try? await Task.sleep(for: .seconds(5))
                            return .goingDown
                        }
                        _ = try await tasks.next()
                    }
                    tasks.cancelAll()
                    while try await tasks.next() != nil {}
                    return first
                }
            } catch {
                if let bound = boundPort.withLockedValue({ $0 }) {
                    port = bound
                    hasListened = true
                }
                if controller.refusesConnections { continue }
                // Rebinding after a down period can race the old socket: try again shortly.
                guard hasListened else { throw error }
                logger.warning("cloud-sim could not listen again; retrying", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .milliseconds(200))
                continue
            }
            if let bound = boundPort.withLockedValue({ $0 }) {
                port = bound
                hasListened = true
            }
            guard outcome == .goingDown else { break }
        }
        logger.info("cloud-sim stopped")
    }
}
