import Hummingbird
import NIOCore

/// The request context of cloud-sim: the basic one plus the connection, so a fault can reset it.
struct CloudSimRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
