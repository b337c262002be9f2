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
        var policy = MQTTReconnectPolicy(
            preferred: self.configuration.protocolVersion, healthyConnectionDuration: self.configuration.healthyConnectionDuration)
        var version = policy.version
        while await !self.isShutdownRequested() {
            let started = ContinuousClock.now
            let outcome = await self.connectOnce(version: version, sslContext: sslContext)
            if await self.isShutdownRequested() { break }
            let decision = policy.connectionEnded(outcome, lasted: ContinuousClock.now - started)
            self.report(decision, outcome: outcome)
            version = decision.version
            guard let attempt = decision.backoffAttempt else { continue }
            let delay = TimeAmount(backoff.delay(attempt: attempt))
            self.logger.debug("MQTT reconnecting", metadata: ["mqtt.attempt": "\(attempt)", "mqtt.delay_ms": "\(delay.nanoseconds / 1_000_000)"])
            let session = self.session
            try? await self.eventLoop.flatSubmit { session.sleep(delay) }.get()
        }
    }

    /// Logs and counts what the end of a connection means (``MQTTClient/statistics``).
    private func report(_ decision: MQTTReconnectPolicy.Decision, outcome: MQTTSessionStateMachine.ConnectionOutcome) {
        var cause = "-"
        switch outcome {
        case .closedAfterConnAck(let error):
            self.statistics.connectionsLost.add(1, ordering: .relaxed)
            cause = error.map { "\($0)" } ?? "closed"
        case .failedBeforeConnAck(let error):
            if decision.backoffAttempt == nil {
                self.logger.notice("MQTT broker refused MQTT 5; trying 3.1.1", metadata: ["error": "\(error)"])
            }
            return
        }
        switch decision.diagnosis {
        case .none:
            break
        case .sessionTakenOver:
            self.statistics.sessionTakeovers.add(1, ordering: .relaxed)
            self.logger.error(
                "MQTT session taken over: another client is using this client id; backing off (give each gateway its own FARMIQ_MQTT_CLIENT_ID / FARMIQ_EDGE_ID)",
                metadata: ["error": "\(cause)", "mqtt.backoff_attempt": "\(decision.backoffAttempt ?? 0)"])
        case .unstable(let consecutive):
            self.statistics.unstableConnections.add(1, ordering: .relaxed)
            self.logger.error(
                "MQTT connection keeps closing soon after it opens; backing off (a broker that closes without a reason code, as Mosquitto 2.0 does when another client takes the session over, usually means another client is using this client id)",
                metadata: ["error": "\(cause)", "mqtt.consecutive_short_connections": "\(consecutive)",
                           "mqtt.backoff_attempt": "\(decision.backoffAttempt ?? 0)"])
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
            let mqttError = MQTTError(.transportError, "cannot connect to \(host):\(self.configuration.port): \(error)", underlying: error)
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
