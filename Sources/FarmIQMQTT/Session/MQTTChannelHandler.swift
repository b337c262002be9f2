import NIOCore

/// The last handler of a connection's pipeline: forwards decoded packets and connection events
/// to the ``MQTTSessionHandler`` and writes what it encodes.
final class MQTTChannelHandler: ChannelInboundHandler {
    typealias InboundIn = MQTTPacket
    typealias OutboundOut = ByteBuffer

    private let session: MQTTSessionHandler
    private let version: MQTTProtocolVersion
    private var context: ChannelHandlerContext?

    init(session: MQTTSessionHandler, version: MQTTProtocolVersion) {
        self.session = session
        self.version = version
    }

    var allocator: ByteBufferAllocator { self.context?.channel.allocator ?? ByteBufferAllocator() }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        self.session.connectionActive(self, version: self.version)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.session.connectionInactive(self)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.session.packetReceived(self.unwrapInboundIn(data), from: self)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.session.readComplete(from: self)
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.session.errorCaught(error, from: self)
    }

    func writeAndFlush(_ buffer: ByteBuffer) {
        self.context?.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil)
    }

    func close() {
        self.context?.close(promise: nil)
    }
}
