import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle

extension MQTTClient {
    /// Connects and stays connected, reconnecting with exponential backoff and full jitter, until
    /// the task is cancelled, graceful shutdown is triggered or ``disconnect()`` is called; then
    /// sends DISCONNECT and returns. Throws only for an invalid TLS configuration or a second call.
    public func run() async throws {
        let runState = self.runStateForRun
        let session = self.session
        guard try await self.eventLoop.submit({ runState.begin() }).get() else {
            throw MQTTError(.alreadyRunning, "run() may be called once")
        }
        let sslContext: NIOSSLContext?
        do {
            sslContext = try self.makeSSLContext()
        } catch {
            try? await self.eventLoop.submit { session.finish(); runState.end() }.get()
            throw error
        }
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await self.connectionLoop(sslContext: sslContext)
            } onGracefulShutdown: {
                self.eventLoop.execute { session.requestShutdown() }
            }
        } onCancel: {
            self.eventLoop.execute { session.requestShutdown() }
        }
        try? await self.eventLoop.submit { session.finish(); runState.end() }.get()
    }

    private func connectionLoop(sslContext: NIOSSLContext?) async {
        let backoff = MQTTBackoff(minimum: self.configuration.minimumReconnectDelay, maximum: self.configuration.maximumReconnectDelay)
        let preferred = self.configuration.protocolVersion
        var version: MQTTProtocolVersion = preferred == .v311 ? .v311 : .v5
        var v311Proven = false
        var attempt = 0
        while await !self.isShutdownRequested() {
            let outcome = await self.connectOnce(version: version, sslContext: sslContext)
            if await self.isShutdownRequested() { break }
            switch outcome {
            case .closedAfterConnAck:
                attempt = 0
                if version == .v311 { v311Proven = true }
            case .failedBeforeConnAck(let error):
                if preferred == .v5, !v311Proven {
                    if version == .v5, error.code == .unsupportedProtocolVersion || error.code == .connectionClosed {
                        self.logger.notice("MQTT broker refused MQTT 5; trying 3.1.1", metadata: ["error": "\(error)"])
                        version = .v311
                        continue
                    }
                    version = .v5
                }
            }
            attempt += 1
            let delay = TimeAmount(backoff.delay(attempt: attempt))
            self.logger.debug("MQTT reconnecting", metadata: ["mqtt.attempt": "\(attempt)", "mqtt.delay_ms": "\(delay.nanoseconds / 1_000_000)"])
            let session = self.session
            try? await self.eventLoop.flatSubmit { session.sleep(delay) }.get()
        }
    }

    private func isShutdownRequested() async -> Bool {
        let session = self.session
        return (try? await self.eventLoop.submit { session.isShutdownRequested }.get()) ?? true
    }

    /// One connection: TCP (+TLS), CONNECT/CONNACK, traffic until it closes.
    private func connectOnce(version: MQTTProtocolVersion, sslContext: NIOSSLContext?) async -> MQTTSessionStateMachine.ConnectionOutcome {
        let session = self.session
        let decoder = MQTTPacketDecoder(version: version, maximumPacketSize: self.configuration.maximumPacketSize)
        let host = self.configuration.host
        let serverHostname = Self.isIPAddress(host) ? nil : host
        let bootstrap = ClientBootstrap(group: self.eventLoop)
            .connectTimeout(TimeAmount(self.configuration.connectTimeout))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let sslContext {
                        try pipeline.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: serverHostname))
                    }
                    try pipeline.addHandler(ByteToMessageHandler(MQTTByteToPacketDecoder(decoder: decoder)))
                    try pipeline.addHandler(MQTTChannelHandler(session: session, version: version))
                }
            }
        do {
            let channel = try await bootstrap.connect(host: host, port: self.configuration.port).get()
            try? await channel.closeFuture.get()
        } catch {
            let mqttError = MQTTError(.transportError, "cannot connect to \(host):\(self.configuration.port)", underlying: error)
            self.logger.info("MQTT connection attempt failed", metadata: ["error": "\(mqttError)"])
            return .failedBeforeConnAck(mqttError)
        }
        let outcome = try? await self.eventLoop.submit { session.lastOutcome }.get()
        return outcome ?? .failedBeforeConnAck(MQTTError(.connectionClosed, "connection closed before CONNACK"))
    }

    private func makeSSLContext() throws -> NIOSSLContext? {
        guard self.configuration.useTLS else { return nil }
        var tls = self.configuration.tlsConfiguration ?? TLSConfiguration.makeClientConfiguration()
        if self.configuration.tlsConfiguration == nil, let caPath = self.configuration.caCertificatePath {
            tls.trustRoots = .file(caPath)
        }
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw MQTTError(.invalidConfiguration, "invalid TLS configuration", underlying: error)
        }
    }

    static func isIPAddress(_ host: String) -> Bool {
        host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
    }
}
