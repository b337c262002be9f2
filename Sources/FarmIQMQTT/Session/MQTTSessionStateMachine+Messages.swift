import NIOCore

extension MQTTSessionStateMachine {
    // MARK: Outgoing PUBLISH

    /// The application publishes. QoS 1 waits for a slot in the broker's Receive Maximum window
    /// (and, while disconnected, for the next connection); QoS 0 needs a connection.
    mutating func publish(_ publish: MQTTPacket.Publish, promise: EventLoopPromise<Void>?) -> Action {
        if case .shutdown = self.state {
            return .failPublish(promise, MQTTError(.clientShutdown, "the client is shut down"))
        }
        guard publish.qos != .exactlyOnce else {
            return .failPublish(promise, MQTTError(.unsupported, "QoS 2 publishing is not supported"))
        }
        do throws(MQTTError) {
            try MQTTTopic.validateName(publish.topic)
        } catch {
            return .failPublish(promise, error)
        }
        if case .connected(let connected) = self.state {
            let size = MQTTPacketEncoder(version: connected.version).encodedSize(of: publish)
            guard size <= connected.maximumOutgoingPacketSize else {
                return .failPublish(promise, MQTTError(.packetTooLarge, "PUBLISH of \(size) bytes exceeds the broker's maximum of \(connected.maximumOutgoingPacketSize)"))
            }
        }
        if publish.qos == .atMostOnce {
            guard self.isConnected else {
                return .failPublish(promise, MQTTError(.notConnected, "QoS 0 publish while not connected"))
            }
            var packet = publish
            packet.packetID = 0
            packet.dup = false
            return .writePublish(packet, succeed: promise)
        }
        var outgoing = OutgoingPublish(packet: publish, promise: promise, sequence: self.nextSequence)
        outgoing.packet.packetID = 0
        outgoing.packet.dup = false
        self.nextSequence &+= 1
        self.queued.append(outgoing)
        guard self.isConnected, let packet = self.dequeueNextPublish() else { return .none }
        return .writePublish(packet, succeed: nil)
    }

    /// Moves the head of the queue in flight if the window and the packet ids allow it.
    mutating func dequeueNextPublish() -> MQTTPacket.Publish? {
        guard case .connected(let connected) = self.state, !self.queued.isEmpty,
              self.inFlight.count < connected.outgoingLimit, let id = self.packetIDs.allocate()
        else { return nil }
        var outgoing = self.queued.removeFirst()
        outgoing.packet.packetID = id
        self.inFlight[id] = outgoing
        return outgoing.packet
    }

    mutating func pubAckReceived(_ puback: MQTTPacket.PubAck) -> Action {
        guard self.isConnected else {
            return .closeConnection(MQTTError(.protocolError, "PUBACK before CONNACK"), disconnectReason: 0x82)
        }
        guard let outgoing = self.inFlight.removeValue(forKey: puback.packetID) else {
            // Not ours (e.g. answered twice): harmless, ignore.
            return .none
        }
        self.packetIDs.release(puback.packetID)
        let result: Result<Void, MQTTError>
        if puback.reasonCode >= 0x80 {
            result = .failure(MQTTError(.publishFailed, "broker rejected the PUBLISH to '\(outgoing.packet.topic)'", reasonCode: puback.reasonCode))
        } else {
            result = .success(())
        }
        return .completePublish(outgoing.promise, result, next: self.dequeueNextPublish())
    }

    // MARK: Incoming PUBLISH and deferred acknowledgement

    mutating func publishReceived(_ publish: MQTTPacket.Publish) -> Action {
        guard self.isConnected else {
            return .closeConnection(MQTTError(.protocolError, "PUBLISH before CONNACK"), disconnectReason: 0x82)
        }
        let token: MQTTAckToken
        switch publish.qos {
        case .atMostOnce:
            token = .none
        case .atLeastOnce:
            // A repeated id (the broker must not, but may after DUP) is delivered again; the
            // first acknowledgement answers it, later ones are dropped.
            let size = UInt32(clamping: publish.topic.utf8.count + publish.payload.readableBytes)
            if !self.unackedIncoming.insert(publish.packetID) {
                self.unackedIncomingBytes -= Int(self.unackedIncomingSizes[Int(publish.packetID)])
            }
            self.unackedIncomingSizes[Int(publish.packetID)] = size
            self.unackedIncomingBytes += Int(size)
            token = MQTTAckToken(packetID: publish.packetID, generation: self.generation)
        case .exactlyOnce:
            return .closeConnection(MQTTError(.unsupported, "QoS 2 PUBLISH received; this client subscribes with QoS ≤ 1"), disconnectReason: 0x9B)
        }
        return .deliver(MQTTMessage(
            topic: publish.topic,
            payload: publish.payload,
            qos: publish.qos,
            retain: publish.retain,
            dup: publish.dup,
            ackToken: token,
            discardedPayloadSize: publish.discardedPayloadSize
        ))
    }

    /// The application acknowledges a message. Returns the PUBACK to write, or nil when there is
    /// nothing to do: QoS 0, already acknowledged, or received on an older connection (the broker
    /// redelivers that one and it is acknowledged again then).
    /// Client-side flow control: stop reading from the socket while the application holds as many
    /// unacknowledged QoS 1 messages as our Receive Maximum. A broker should never send more, but
    /// Mosquitto 2.0.11 (Debian 12) does: after a PUBACK it moves its whole queue in flight (fixed in
    /// 2.0.13, "inflight quota management"), which after a long outage would be millions of messages
    /// in the client's memory. Held reads leave them in the broker, as the protocol intends.
    ///
    /// Also held while the unacknowledged messages hold ``Configuration/maximumUnacknowledgedBytes`` or more: a count
    /// alone lets envelopes at the contract's 64 KiB limit pile up to Receive Maximum × 64 KiB in memory.
    var holdsReads: Bool {
        self.unackedIncoming.count >= Int(self.configuration.receiveMaximum)
            || self.unackedIncomingBytes >= self.configuration.maximumUnacknowledgedBytes
    }

    mutating func acknowledge(_ token: MQTTAckToken) -> MQTTPacket.PubAck? {
        guard token.packetID != 0, token.generation == self.generation, self.isConnected,
              self.unackedIncoming.remove(token.packetID)
        else { return nil }
        self.unackedIncomingBytes -= Int(self.unackedIncomingSizes[Int(token.packetID)])
        return MQTTPacket.PubAck(packetID: token.packetID)
    }

    // MARK: Subscriptions

    mutating func subscribe(_ subscriptions: [MQTTSubscription], promise: EventLoopPromise<[MQTTSubscribeResult]>?) -> Action {
        if case .shutdown = self.state {
            return .failSubscribe(promise, MQTTError(.clientShutdown, "the client is shut down"))
        }
        guard !subscriptions.isEmpty else {
            promise?.succeed([])
            return .none
        }
        do throws(MQTTError) {
            for subscription in subscriptions {
                try MQTTTopic.validateFilter(subscription.topicFilter)
                guard subscription.qos != .exactlyOnce else {
                    throw MQTTError(.unsupported, "QoS 2 subscriptions are not supported")
                }
            }
        } catch {
            return .failSubscribe(promise, error)
        }
        for subscription in subscriptions {
            if let index = self.subscriptions.firstIndex(where: { $0.topicFilter == subscription.topicFilter }) {
                self.subscriptions[index] = subscription
            } else {
                self.subscriptions.append(subscription)
            }
        }
        let request = SubscribeRequest(subscriptions: subscriptions, promise: promise)
        guard self.isConnected, let id = self.packetIDs.allocate() else {
            self.unsentSubscribes.append(request)
            return .none
        }
        self.inFlightSubscribes[id] = request
        return .write(.subscribe(.init(packetID: id, subscriptions: subscriptions)))
    }

    mutating func subAckReceived(_ suback: MQTTPacket.SubAck) -> Action {
        guard let request = self.inFlightSubscribes.removeValue(forKey: suback.packetID) else {
            return .closeConnection(MQTTError(.protocolError, "SUBACK for unknown packet id \(suback.packetID)"), disconnectReason: 0x82)
        }
        self.packetIDs.release(suback.packetID)
        guard suback.reasonCodes.count == request.subscriptions.count else {
            let error = MQTTError(.protocolError, "SUBACK with \(suback.reasonCodes.count) codes for \(request.subscriptions.count) filters")
            // Keep the request for the next connection.
            self.unsentSubscribes.insert(request, at: 0)
            return .closeConnection(error, disconnectReason: 0x82)
        }
        let results = suback.reasonCodes.map(MQTTSubscribeResult.init(reasonCode:))
        var failedFilters: [String] = []
        for (subscription, result) in zip(request.subscriptions, results) where !result.isGranted {
            failedFilters.append(subscription.topicFilter)
        }
        if !failedFilters.isEmpty {
            self.subscriptions.removeAll { failedFilters.contains($0.topicFilter) }
        }
        return .completeSubscribe(request.promise, results, topicFilters: request.subscriptions.map(\.topicFilter))
    }

    mutating func unsubscribe(_ topicFilters: [String], promise: EventLoopPromise<Void>?) -> Action {
        if case .shutdown = self.state {
            return .failUnsubscribe(promise, MQTTError(.clientShutdown, "the client is shut down"))
        }
        guard !topicFilters.isEmpty else {
            promise?.succeed(())
            return .none
        }
        self.subscriptions.removeAll { topicFilters.contains($0.topicFilter) }
        let request = UnsubscribeRequest(topicFilters: topicFilters, promise: promise)
        guard self.isConnected, let id = self.packetIDs.allocate() else {
            self.unsentUnsubscribes.append(request)
            return .none
        }
        self.inFlightUnsubscribes[id] = request
        return .write(.unsubscribe(.init(packetID: id, topicFilters: topicFilters)))
    }

    mutating func unsubAckReceived(_ unsuback: MQTTPacket.UnsubAck) -> Action {
        guard let request = self.inFlightUnsubscribes.removeValue(forKey: unsuback.packetID) else {
            return .closeConnection(MQTTError(.protocolError, "UNSUBACK for unknown packet id \(unsuback.packetID)"), disconnectReason: 0x82)
        }
        self.packetIDs.release(unsuback.packetID)
        // 0x11 "no subscription existed" is a success for our purpose.
        if let failure = unsuback.reasonCodes.first(where: { $0 >= 0x80 }) {
            return .completeUnsubscribe(request.promise, .failure(MQTTError(.unsubscribeFailed, "broker rejected the UNSUBSCRIBE", reasonCode: failure)))
        }
        return .completeUnsubscribe(request.promise, .success(()))
    }

    // MARK: Keep-alive

    /// Bytes were written to the broker at `now`.
    mutating func didSend(now: NIODeadline) {
        guard case .connected(var connected) = self.state else { return }
        connected.lastSend = now
        self.state = .connected(connected)
    }

    /// Called periodically: PINGREQ when nothing was sent for a keep-alive period; close when a
    /// PINGREQ stayed unanswered for the ping timeout.
    ///
    /// `readsHeld`: the client is not reading (flow control, see ``holdsReads``), so a PINGRESP may be
    /// waiting unread in the socket: no timeout then, but a PINGREQ every keep-alive period still
    /// tells the broker the client is alive.
    mutating func keepAliveTick(now: NIODeadline, readsHeld: Bool = false) -> Action {
        guard case .connected(var connected) = self.state, connected.keepAlive > .zero else { return .none }
        if readsHeld {
            guard now - connected.lastSend >= connected.keepAlive else { return .none }
            connected.pingSentAt = now
            self.state = .connected(connected)
            return .write(.pingreq)
        }
        if let sentAt = connected.pingSentAt {
            if now - sentAt >= self.configuration.pingTimeout {
                return .closeConnection(MQTTError(.timeout, "no PINGRESP within \(self.configuration.pingTimeout)"), disconnectReason: 0x8D)
            }
            return .none
        }
        guard now - connected.lastSend >= connected.keepAlive else { return .none }
        connected.pingSentAt = now
        self.state = .connected(connected)
        return .write(.pingreq)
    }

    mutating func pingRespReceived() {
        guard case .connected(var connected) = self.state else { return }
        connected.pingSentAt = nil
        self.state = .connected(connected)
    }

    /// The keep-alive period in force (the broker's Server Keep Alive wins).
    var effectiveKeepAlive: TimeAmount? {
        guard case .connected(let connected) = self.state, connected.keepAlive > .zero else { return nil }
        return connected.keepAlive
    }

    // MARK: Dispatch

    /// Routes any inbound packet.
    mutating func packetReceived(_ packet: MQTTPacket, now: NIODeadline) -> Action {
        switch packet {
        case .publish(let publish): return self.publishReceived(publish)
        case .puback(let puback): return self.pubAckReceived(puback)
        case .connack(let connack): return self.connAckReceived(connack, now: now)
        case .suback(let suback): return self.subAckReceived(suback)
        case .unsuback(let unsuback): return self.unsubAckReceived(unsuback)
        case .pingresp:
            self.pingRespReceived()
            return .none
        case .disconnect(let disconnect):
            let reason = disconnect.properties.reasonString.map { ": \($0)" } ?? ""
            return .closeConnection(MQTTError(.connectionClosed, "broker sent DISCONNECT\(reason)", reasonCode: disconnect.reasonCode), disconnectReason: nil)
        case .connect, .subscribe, .unsubscribe, .pingreq:
            return .closeConnection(MQTTError(.protocolError, "client-to-server packet received from the broker"), disconnectReason: 0x82)
        }
    }
}

extension MQTTSessionStateMachine {
    /// The caller of `publish` stopped waiting (task cancelled). A queued message is dropped; one
    /// already in flight stays in the session (it may still be delivered) but its promise is
    /// returned to be failed.
    mutating func cancelPublish(_ promise: EventLoopPromise<Void>) -> EventLoopPromise<Void>? {
        if let index = self.queued.firstIndex(where: { $0.promise?.futureResult === promise.futureResult }) {
            let removed = self.queued.remove(at: index)
            return removed.promise
        }
        if let id = self.inFlight.first(where: { $0.value.promise?.futureResult === promise.futureResult })?.key {
            let removed = self.inFlight[id]?.promise
            self.inFlight[id]?.promise = nil
            return removed
        }
        return nil
    }
}
