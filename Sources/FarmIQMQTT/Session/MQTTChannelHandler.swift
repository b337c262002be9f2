import NIOCore

/// The last handler of a connection's pipeline: forwards decoded packets and connection events
/// to the ``MQTTSessionHandler``, writes what it encodes, and passes socket reads through its flow control.
final class MQTTChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = MQTTPacket
    typealias OutboundIn = ByteBuffer
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

    /// Socket reads go through the session's flow control (it may hold them; ``read()`` resumes).
    func read(context: ChannelHandlerContext) {
        if self.session.shouldRead(from: self) { context.read() }
    }

    /// Resumes a held read.
    func read() {
        self.context?.read()
    }

    func writeAndFlush(_ buffer: ByteBuffer) {
        self.context?.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil)
    }

    func close() {
        self.context?.close(promise: nil)
    }
}
