import Hummingbird
import NIOConcurrencyHelpers
import NIOCore

/// The open client connections, so going down can cut them all (idle keep-alive ones included), as an outage would.
final class ConnectionRegistry: Sendable {
    private let channels = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])

    func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        let inserted = channels.withLockedValue { channels in
            guard channels[id] == nil else { return false }
            channels[id] = channel
            return true
        }
        if inserted {
            channel.closeFuture.whenComplete { [channels] _ in
                _ = channels.withLockedValue { $0.removeValue(forKey: id) }
            }
        }
    }

    /// Resets every tracked connection.
    func resetAll() async {
        let open = channels.withLockedValue { Array($0.values) }
        for channel in open { await CloudSimRoutes.reset(channel) }
    }
}

/// Registers each request's connection with the ``ConnectionRegistry``.
struct ConnectionTrackingMiddleware: RouterMiddleware {
    typealias Context = CloudSimRequestContext
    let registry: ConnectionRegistry

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        registry.track(context.channel)
        return try await next(request, context)
    }
}
