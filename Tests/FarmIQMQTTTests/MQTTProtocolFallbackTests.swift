import NIOCore
import NIOPosix
import Testing

@testable import FarmIQMQTT

/// A fake 3.1.1-only broker: refuses (or hangs up on) MQTT 5 CONNECTs, accepts 3.1.1 ones.
final class FakeV311Broker: Sendable {
    enum Behaviour: Sendable { case refuseWithReturnCode, closeConnection }

    let levels = LockedBox<[UInt8]>([])
    private let channel: any Channel

    var port: Int { self.channel.localAddress?.port ?? 0 }

    init(behaviour: Behaviour) async throws {
        let levels = self.levels
        self.channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(MQTTByteToPacketDecoder(decoder: MQTTPacketDecoder(version: .v311))))
                    try channel.pipeline.syncOperations.addHandler(FakeBrokerHandler(behaviour: behaviour, levels: levels))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
    }

    func close() async throws { try await self.channel.close() }

    private final class FakeBrokerHandler: ChannelInboundHandler {
        typealias InboundIn = MQTTPacket
        typealias OutboundOut = ByteBuffer
        let behaviour: Behaviour
        let levels: LockedBox<[UInt8]>

        init(behaviour: Behaviour, levels: LockedBox<[UInt8]>) {
            self.behaviour = behaviour
            self.levels = levels
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch self.unwrapInboundIn(data) {
            case .connect(let connect):
                self.levels.withValue { $0.append(connect.version.rawValue) }
                if connect.version == .v311 {
                    context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(bytes: [0x20, 0x02, 0x00, 0x00])), promise: nil)
                } else if self.behaviour == .refuseWithReturnCode {
                    context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(bytes: [0x20, 0x02, 0x00, 0x01])), promise: nil)
                    context.close(promise: nil)
                } else {
                    context.close(promise: nil)
                }
            case .pingreq:
                context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(bytes: [0xD0, 0x00])), promise: nil)
            case .disconnect:
                context.close(promise: nil)
            default:
                break
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}

@Suite("MQTT 5 → 3.1.1 fallback", .timeLimit(.minutes(1)))
struct MQTTProtocolFallbackTests {
    /// Falls back at once on the broker's explicit refusal, and tries MQTT 5 again on the next connect
    /// (the broker may have been upgraded, or the refusal may have come from a proxy that is gone).
    @Test func fallsBackOnRefusalAndRetriesV5OnReconnect() async throws {
        let broker = try await FakeV311Broker(behaviour: .refuseWithReturnCode)
        var configuration = MQTTClientConfiguration(host: "127.0.0.1", port: broker.port, clientID: "fallback")
        configuration.minimumReconnectDelay = .milliseconds(10)
        configuration.maximumReconnectDelay = .milliseconds(20)
        try await withConnectedClient(configuration) { client in
            #expect(broker.levels.withValue { $0 } == [5, 4])
            await client.closeConnectionAbruptly()
            try await withTimeout(30, "reconnect") {
                while broker.levels.withValue({ $0.count }) < 4 { try await Task.sleep(for: .milliseconds(5)) }
                try await client.waitUntilConnected()
            }
            #expect(broker.levels.withValue { $0 } == [5, 4, 5, 4])
        }
        try await broker.close()
    }

    /// A connection closed before CONNACK is not a refusal of the version: the client keeps trying MQTT 5
    /// (with backoff) and never falls back for it.
    @Test func connectionClosedBeforeConnAckIsNoFallback() async throws {
        let broker = try await FakeV311Broker(behaviour: .closeConnection)
        var configuration = MQTTClientConfiguration(host: "127.0.0.1", port: broker.port, clientID: "no-fallback")
        configuration.minimumReconnectDelay = .milliseconds(10)
        configuration.maximumReconnectDelay = .milliseconds(20)
        let client = MQTTClient(configuration: configuration, logger: TestBroker.logger)
        let run = Task { try await client.run() }
        try await withTimeout(30, "three attempts") {
            while broker.levels.withValue({ $0.count }) < 3 { try await Task.sleep(for: .milliseconds(5)) }
        }
        #expect(broker.levels.withValue { $0 }.allSatisfy { $0 == 5 })
        #expect(!client.isConnected)
        run.cancel()
        _ = try? await run.value
        try await broker.close()
    }

    @Test func forcedV311NeverTriesV5() async throws {
        let broker = try await FakeV311Broker(behaviour: .refuseWithReturnCode)
        var configuration = MQTTClientConfiguration(host: "127.0.0.1", port: broker.port, clientID: "forced")
        configuration.protocolVersion = .v311
        try await withConnectedClient(configuration) { _ in
            #expect(broker.levels.withValue { $0 } == [4])
        }
        try await broker.close()
    }
}
