import NIOCore
import NIOEmbedded
import Testing

@testable import FarmIQMQTT

@Suite("MQTT session state machine")
struct MQTTSessionStateMachineTests {
    static func configuration(receiveMaximum: UInt16 = 1024, maximumOutgoingInFlight: Int = 65_535) -> MQTTSessionStateMachine.Configuration {
        .init(
            clientID: "edge-gw", username: nil, password: nil, keepAlive: .seconds(30), cleanStart: false,
            sessionExpirySeconds: 604_800, receiveMaximum: receiveMaximum, maximumIncomingPacketSize: 262_149,
            maximumOutgoingInFlight: maximumOutgoingInFlight, pingTimeout: .seconds(10)
        )
    }

    let loop = EmbeddedEventLoop()
    let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)

    func connected(
        _ machine: inout MQTTSessionStateMachine,
        version: MQTTProtocolVersion = .v5,
        sessionPresent: Bool = false,
        brokerReceiveMaximum: UInt16? = nil,
        now: NIODeadline? = nil
    ) -> [MQTTPacket] {
        _ = machine.connectionEstablished(version: version)
        var connack = MQTTPacket.ConnAck(sessionPresent: sessionPresent, reasonCode: 0)
        connack.properties.receiveMaximum = brokerReceiveMaximum
        guard case .writeMany(let packets) = machine.connAckReceived(connack, now: now ?? self.t0) else {
            Issue.record("CONNACK did not connect")
            return []
        }
        return packets
    }

    func publish(_ topic: String = "t/1", qos: MQTTQoS = .atLeastOnce) -> MQTTPacket.Publish {
        .init(topic: topic, payload: ByteBuffer(string: "x"), qos: qos)
    }

    @Test func connectFlow() {
        var machine = MQTTSessionStateMachine(configuration: Self.configuration())
        #expect(machine.publicState == .idle)
        guard case .write(.connect(let connect)) = machine.connectionEstablished(version: .v5) else {
            Issue.record("no CONNECT")
            return
        }
        #expect(connect.clientID == "edge-gw")
        #expect(connect.cleanStart == false)
        #expect(connect.keepAliveSeconds == 30)
        #expect(connect.properties.sessionExpiryInterval == 604_800)
        #expect(connect.properties.receiveMaximum == 1024)
        #expect(connect.properties.maximumPacketSize == 262_149)
        #expect(machine.publicState == .connecting)
        var connack = MQTTPacket.ConnAck(sessionPresent: true, reasonCode: 0)
        connack.properties.assignedClientIdentifier = "assigned"
        connack.properties.serverKeepAlive = 5
        guard case .writeMany(let packets) = machine.connAckReceived(connack, now: t0) else {
            Issue.record("no connection")
            return
        }
        #expect(packets.isEmpty)
        #expect(machine.publicState == .connected(sessionPresent: true, subscriptionsActive: true))
        #expect(machine.assignedClientID == "assigned")
        #expect(machine.effectiveKeepAlive == .seconds(5))
    }

    @Test func threeOneOneConnectHasNoProperties() {
        var machine = MQTTSessionStateMachine(configuration: Self.configuration())
        guard case .write(.connect(let connect)) = machine.connectionEstablished(version: .v311) else {
            Issue.record("no CONNECT")
            return
        }
        #expect(connect.properties.isEmpty)
    }

    @Test(arguments: [(MQTTProtocolVersion.v5, UInt8(0x84)), (.v311, 0x01), (.v5, 0x01)])
    func versionRefusal(version: MQTTProtocolVersion, code: UInt8) {
        var machine = MQTTSessionStateMachine(configuration: Self.configuration())
        _ = machine.connectionEstablished(version: version)
        guard case .closeConnection(let error, _) = machine.connAckReceived(.init(sessionPresent: false, reasonCode: code), now: t0) else {
            Issue.record("not closed")
            return
        }
        #expect(error.code == .unsupportedProtocolVersion)
        guard case .connectionClosed(.failedBeforeConnAck(let outcome)) = machine.connectionClosed(error: nil) else {
            Issue.record("wrong outcome")
            return
        }
        #expect(outcome.code == .unsupportedProtocolVersion)
    }

    @Test func otherRefusalIsConnectionRefused() {
        var machine = MQTTSessionStateMachine(configuration: Self.configuration())
        _ = machine.connectionEstablished(version: .v5)
        guard case .closeConnection(let error, _) = machine.connAckReceived(.init(sessionPresent: false, reasonCode: 0x87), now: t0) else {
            Issue.record("not closed")
            return
        }
        #expect(error.code == .connectionRefused)
        #expect(error.reasonCode == 0x87)
    }

    @Test func packetIDsWrapAndSkipIDsInUse() {
        var allocator = MQTTPacketIDAllocator(startingAt: 65_534)
        let reserved = allocator.reserve(1)
        #expect(reserved)
        var first: [UInt16?] = []
        for _ in 0..<3 { first.append(allocator.allocate()) }
        #expect(first == [65_534, 65_535, 2]) // 0 is never used, 1 is taken
        allocator.release(65_534)
        var seen: Set<UInt16> = []
        while let id = allocator.allocate() { seen.insert(id) }
        #expect(seen.count == 65_535 - 3)
        #expect(allocator.inUse.count == 65_535)
        #expect(seen.contains(65_534))
        #expect(!seen.contains(0))
        allocator.release(7)
        let reused = allocator.allocate()
        #expect(reused == 7)
    }

    @Test func outgoingWindowFollowsBrokerReceiveMaximum() throws {
        var machine = MQTTSessionStateMachine(configuration: Self.configuration())
        _ = connected(&machine, brokerReceiveMaximum: 2)
        let promises = (0..<3).map { _ in loop.makePromise(of: Void.self) }
        var written: [MQTTPacket.Publish] = []
        for (index, promise) in promises.enumerated() {
            switch machine.publish(publish("t/\(index)"), promise: promise) {
            case .writePublish(let packet, nil): written.append(packet)
            case .none: break
            default: Issue.record("unexpected action")
            }
        }
        #expect(written.map(\.packetID) == [1, 2])
        #expect(machine.outgoingInFlightCount == 2)
        #expect(machine.outgoingQueuedCount == 1)
        guard case .completePublish(let promise, .success, let next) = machine.pubAckReceived(.init(packetID: 1)) else {
            Issue.record("no completion")
            return
        }
        #expect(promise?.futureResult === promises[0].futureResult)
        #expect(next?.topic == "t/2")
        #expect(next?.packetID == 3)
        promise?.succeed(())
        // A failure reason code fails the publish.
        guard case .completePublish(let failed, .failure(let error), nil) = machine.pubAckReceived(.init(packetID: 2, reasonCode: 0x97)) else {
            Issue.record("no failure")
            return
        }
        #expect(error.code == .publishFailed)
        #expect(error.reasonCode == 0x97)
        failed?.fail(error)
        try finish(&machine)
    }

    @Test func qos0NeedsAConnectionAndQoS1Waits() throws {
        var machine = MQTTSessionStateMachine(configuration: Self.configuration())
        let qos0 = loop.makePromise(of: Void.self)
        guard case .failPublish(_, let error) = machine.publish(publish(qos: .atMostOnce), promise: qos0) else {
            Issue.record("QoS 0 accepted while disconnected")
            return
        }
        #expect(error.code == .notConnected)
        qos0.fail(error)
        let qos1 = loop.makePromise(of: Void.self)
        guard case .none = machine.publish(publish(), promise: qos1) else {
            Issue.record("QoS 1 not queued")
            return
        }
        let packets = connected(&machine)
        #expect(packets == [.publish(.init(topic: "t/1", payload: ByteBuffer(string: "x"), qos: .atLeastOnce, packetID: 1))])
        try finish(&machine)
        #expect(throws: MQTTError.self) { try qos1.futureResult.wait() }
    }

    @Test func invalidPublishesAreRefused() {
        var machine = MQTTSessionStateMachine(configuration: Self.configuration())
        _ = connected(&machine)
        for packet in [publish("a/+"), publish(""), publish(qos: .exactlyOnce)] {
            guard case .failPublish(nil, _) = machine.publish(packet, promise: nil) else {
                Issue.record("accepted \(packet)")
                continue
            }
        }
    }

    @Test func deferredAcknowledgement() {
        var machine = MQTTSessionStateMachine(configuration: Self.configuration())
        _ = connected(&machine)
        var tokens: [MQTTAckToken] = []
        for id in UInt16(1)...3 {
            guard case .deliver(let message) = machine.publishReceived(.init(topic: "in", payload: ByteBuffer(), qos: .atLeastOnce, packetID: id)) else {
                Issue.record("not delivered")
                return
            }
            tokens.append(message.ackToken)
        }
        #expect(machine.unacknowledgedIncomingCount == 3)
        // Acknowledged in any order, whenever the application wants; twice is dropped.
        do {
            let pubAck = machine.acknowledge(tokens[2])
            #expect(pubAck == .init(packetID: 3))
        }
        do {
            let pubAck = machine.acknowledge(tokens[2])
            #expect(pubAck == nil)
        }
        do {
            let pubAck = machine.acknowledge(tokens[0])
            #expect(pubAck == .init(packetID: 1))
        }
        do {
            let pubAck = machine.acknowledge(.none)
            #expect(pubAck == nil)
        }
        #expect(machine.unacknowledgedIncomingCount == 1)
    }

    @Test func ackFromAnOlderConnectionIsDropped() {
        var machine = MQTTSessionStateMachine(configuration: Self.configuration())
        _ = connected(&machine)
        guard case .deliver(let old) = machine.publishReceived(.init(topic: "in", payload: ByteBuffer(), qos: .atLeastOnce, packetID: 9)) else {
            Issue.record("not delivered")
            return
        }
        _ = machine.connectionClosed(error: nil)
        let whileDisconnected = machine.acknowledge(old.ackToken)
        #expect(whileDisconnected == nil)
        _ = connected(&machine, sessionPresent: true)
        // The broker redelivers with the same packet id on the new connection.
        guard case .deliver(let redelivered) = machine.publishReceived(.init(topic: "in", payload: ByteBuffer(), qos: .atLeastOnce, dup: true, packetID: 9)) else {
            Issue.record("not delivered")
            return
        }
        do {
            let pubAck = machine.acknowledge(old.ackToken)
            #expect(pubAck == nil)
        }
        do {
            let pubAck = machine.acknowledge(redelivered.ackToken)
            #expect(pubAck == .init(packetID: 9))
        }
    }

    @Test func inboundQoS2IsRefused() {
        var machine = MQTTSessionStateMachine(configuration: Self.configuration())
        _ = connected(&machine)
        guard case .closeConnection(let error, 0x9B) = machine.publishReceived(.init(topic: "in", payload: ByteBuffer(), qos: .exactlyOnce, packetID: 1)) else {
            Issue.record("QoS 2 accepted")
            return
        }
        #expect(error.code == .unsupported)
    }

    @Test func unackedOutgoingAreResentWithDupWhenTheSessionIsPresent() throws {
        var machine = MQTTSessionStateMachine(configuration: Self.configuration())
        _ = connected(&machine)
        let promises = (0..<3).map { _ in loop.makePromise(of: Void.self) }
        for (index, promise) in promises.enumerated() { _ = machine.publish(publish("t/\(index)"), promise: promise) }
        if case .completePublish(let promise, _, _) = machine.pubAckReceived(.init(packetID: 2)) { promise?.succeed(()) }
        _ = machine.connectionClosed(error: MQTTError(.connectionClosed, "gone"))
        let packets = connected(&machine, sessionPresent: true)
        #expect(packets == [
            .publish(.init(topic: "t/0", payload: ByteBuffer(string: "x"), qos: .atLeastOnce, dup: true, packetID: 1)),
            .publish(.init(topic: "t/2", payload: ByteBuffer(string: "x"), qos: .atLeastOnce, dup: true, packetID: 3)),
        ])
        // Without a session they are sent again as new messages.
        _ = machine.connectionClosed(error: nil)
        let fresh = connected(&machine, sessionPresent: false)
        #expect(fresh.map { if case .publish(let p) = $0 { return p.dup } else { return true } } == [false, false])
        try finish(&machine)
    }

    @Test func resendRespectsAShrunkenWindow() throws {
        var machine = MQTTSessionStateMachine(configuration: Self.configuration())
        _ = connected(&machine)
        for index in 0..<4 { _ = machine.publish(publish("t/\(index)"), promise: nil) }
        _ = machine.connectionClosed(error: nil)
        let packets = connected(&machine, sessionPresent: true, brokerReceiveMaximum: 2)
        #expect(packets.count == 2)
        #expect(machine.outgoingInFlightCount == 2)
        #expect(machine.outgoingQueuedCount == 2)
        guard case .completePublish(_, _, let next) = machine.pubAckReceived(.init(packetID: 1)) else {
            Issue.record("no completion")
            return
        }
        #expect(next?.topic == "t/2")
        #expect(next?.dup == false)
    }

    @Test func subscriptionsAreRestoredWhenTheSessionIsAbsent() throws {
        var machine = MQTTSessionStateMachine(configuration: Self.configuration())
        _ = connected(&machine)
        let promise = loop.makePromise(of: [MQTTSubscribeResult].self)
        let subscriptions = [MQTTSubscription(topicFilter: "a/#"), .shared(group: "g", topicFilter: "b/+")]
        guard case .write(.subscribe(let subscribe)) = machine.subscribe(subscriptions, promise: promise) else {
            Issue.record("no SUBSCRIBE")
            return
        }
        #expect(machine.publicState == .connected(sessionPresent: false, subscriptionsActive: false))
        guard case .completeSubscribe(let completed, let results, _) = machine.subAckReceived(.init(packetID: subscribe.packetID, reasonCodes: [1, 0])) else {
            Issue.record("no SUBACK handling")
            return
        }
        #expect(results == [.granted(.atLeastOnce), .granted(.atMostOnce)])
        completed?.succeed(results)
        #expect(machine.publicState == .connected(sessionPresent: false, subscriptionsActive: true))

        _ = machine.connectionClosed(error: nil)
        // Resubscribed even when the broker kept the session (Mosquitto 2.0 drops persisted $share subscriptions).
        let withSession = connected(&machine, sessionPresent: true)
        guard case .subscribe(let again) = withSession.first else {
            Issue.record("not resubscribed with a session")
            return
        }
        #expect(again.subscriptions == subscriptions)
        _ = machine.subAckReceived(.init(packetID: again.packetID, reasonCodes: [1, 1]))
        #expect(machine.publicState == .connected(sessionPresent: true, subscriptionsActive: true))
        _ = machine.connectionClosed(error: nil)
        let withoutSession = connected(&machine, sessionPresent: false)
        guard case .subscribe(let resubscribe) = withoutSession.first else {
            Issue.record("not resubscribed")
            return
        }
        #expect(resubscribe.subscriptions == subscriptions)
        #expect(machine.publicState == .connected(sessionPresent: false, subscriptionsActive: false))
        _ = machine.subAckReceived(.init(packetID: resubscribe.packetID, reasonCodes: [1, 1]))
        #expect(machine.publicState == .connected(sessionPresent: false, subscriptionsActive: true))
    }

    @Test func refusedFiltersAreForgottenAndUnansweredSubscribesResent() throws {
        var machine = MQTTSessionStateMachine(configuration: Self.configuration())
        _ = connected(&machine)
        guard case .write(.subscribe(let first)) = machine.subscribe([.init(topicFilter: "ok"), .init(topicFilter: "denied")], promise: nil) else {
            Issue.record("no SUBSCRIBE")
            return
        }
        _ = machine.subAckReceived(.init(packetID: first.packetID, reasonCodes: [1, 0x87]))
        #expect(machine.subscriptions.map(\.topicFilter) == ["ok"])
        let promise = loop.makePromise(of: [MQTTSubscribeResult].self)
        _ = machine.subscribe([.init(topicFilter: "late")], promise: promise)
        _ = machine.connectionClosed(error: nil) // before the SUBACK
        let packets = connected(&machine, sessionPresent: true)
        let resentFilters = packets.flatMap { packet -> [String] in
            if case .subscribe(let subscribe) = packet { return subscribe.subscriptions.map(\.topicFilter) }
            return []
        }
        #expect(resentFilters.contains("late"), "unanswered SUBSCRIBE not resent")
        #expect(!resentFilters.contains("denied"), "refused filter resent")
        try finish(&machine)
        #expect(throws: MQTTError.self) { try promise.futureResult.wait() }
    }

    @Test func keepAlive() {
        var machine = MQTTSessionStateMachine(configuration: Self.configuration())
        _ = connected(&machine)
        let tick1 = machine.keepAliveTick(now: t0 + .seconds(29))
        #expect(tick1.isNone)
        guard case .write(.pingreq) = machine.keepAliveTick(now: t0 + .seconds(30)) else {
            Issue.record("no PINGREQ")
            return
        }
        let tick2 = machine.keepAliveTick(now: t0 + .seconds(35))
        #expect(tick2.isNone) // waiting for PINGRESP
        machine.pingRespReceived()
        machine.didSend(now: t0 + .seconds(30))
        let tick3 = machine.keepAliveTick(now: t0 + .seconds(45))
        #expect(tick3.isNone)
        guard case .write(.pingreq) = machine.keepAliveTick(now: t0 + .seconds(60)) else {
            Issue.record("no second PINGREQ")
            return
        }
        guard case .closeConnection(let error, _) = machine.keepAliveTick(now: t0 + .seconds(70)) else {
            Issue.record("no timeout")
            return
        }
        #expect(error.code == .timeout)
    }

    @Test func readsAreHeldAtOurReceiveMaximumAndResumeOnAcknowledgement() {
        var machine = MQTTSessionStateMachine(configuration: Self.configuration(receiveMaximum: 3))
        _ = connected(&machine)
        var tokens: [MQTTAckToken] = []
        for id in UInt16(1)...3 {
            #expect(!machine.holdsReads)
            guard case .deliver(let message) = machine.publishReceived(.init(topic: "in", payload: ByteBuffer(), qos: .atLeastOnce, packetID: id)) else {
                Issue.record("not delivered")
                return
            }
            tokens.append(message.ackToken)
        }
        #expect(machine.holdsReads)
        // QoS 0 does not count.
        _ = machine.publishReceived(.init(topic: "in", payload: ByteBuffer(), qos: .atMostOnce))
        #expect(machine.holdsReads)
        #expect(machine.acknowledge(tokens[0]) != nil)
        #expect(!machine.holdsReads)
    }

    @Test func readsAreHeldAtOurUnacknowledgedBytesWhateverTheCount() {
        var configuration = Self.configuration(receiveMaximum: 1000)
        configuration.maximumUnacknowledgedBytes = 100
        var machine = MQTTSessionStateMachine(configuration: configuration)
        _ = connected(&machine)
        func receive(_ id: UInt16, bytes: Int) -> MQTTAckToken? {
            let publish = MQTTPacket.Publish(topic: "in", payload: ByteBuffer(repeating: 0x61, count: bytes), qos: .atLeastOnce, packetID: id)
            guard case .deliver(let message) = machine.publishReceived(publish) else { return nil }
            return message.ackToken
        }
        // Topic (2 bytes) plus payload: 42 + 42 = 84 held, under 100.
        let first = receive(1, bytes: 40), second = receive(2, bytes: 40)
        #expect(!machine.holdsReads)
        // A redelivery of the same id counts once.
        _ = receive(2, bytes: 40)
        #expect(machine.unackedIncomingBytes == 84)
        #expect(!machine.holdsReads)
        let third = receive(3, bytes: 20)
        #expect(machine.unackedIncomingBytes == 106)
        #expect(machine.holdsReads)
        #expect(machine.acknowledge(first!) != nil)
        #expect(machine.unackedIncomingBytes == 64)
        #expect(!machine.holdsReads)
        #expect(machine.acknowledge(second!) != nil)
        #expect(machine.acknowledge(second!) == nil)  // twice: nothing more released
        #expect(machine.acknowledge(third!) != nil)
        #expect(machine.unackedIncomingBytes == 0)
    }

    @Test func heldReadsNeverTimeOutThePingButStillSendIt() {
        var machine = MQTTSessionStateMachine(configuration: Self.configuration())
        _ = connected(&machine)
        guard case .write(.pingreq) = machine.keepAliveTick(now: t0 + .seconds(30)) else {
            Issue.record("no PINGREQ")
            return
        }
        machine.didSend(now: t0 + .seconds(30))
        // The PINGRESP sits unread while reads are held: no timeout, and the broker still hears from us.
        #expect(machine.keepAliveTick(now: t0 + .seconds(45), readsHeld: true).isNone)
        guard case .write(.pingreq) = machine.keepAliveTick(now: t0 + .seconds(60), readsHeld: true) else {
            Issue.record("no PINGREQ while reads are held")
            return
        }
        machine.didSend(now: t0 + .seconds(60))
        #expect(machine.keepAliveTick(now: t0 + .seconds(89), readsHeld: true).isNone)
        // Reads resume and the PINGRESP arrives: back to normal.
        machine.pingRespReceived()
        #expect(machine.keepAliveTick(now: t0 + .seconds(89)).isNone)
    }

    @Test func trafficPostponesPings() {
        var machine = MQTTSessionStateMachine(configuration: Self.configuration())
        _ = connected(&machine)
        machine.didSend(now: t0 + .seconds(20))
        let tick4 = machine.keepAliveTick(now: t0 + .seconds(40))
        #expect(tick4.isNone)
    }

    @Test func connAckTimeout() {
        var machine = MQTTSessionStateMachine(configuration: Self.configuration())
        _ = machine.connectionEstablished(version: .v5)
        guard case .closeConnection(let error, _) = machine.connAckTimedOut() else {
            Issue.record("no timeout")
            return
        }
        #expect(error.code == .timeout)
    }

    @Test func cancelledQueuedPublishIsDropped() throws {
        var machine = MQTTSessionStateMachine(configuration: Self.configuration())
        let promise = loop.makePromise(of: Void.self)
        _ = machine.publish(publish(), promise: promise)
        let cancelled = machine.cancelPublish(promise)
        #expect(cancelled?.futureResult === promise.futureResult)
        promise.fail(CancellationError())
        #expect(machine.outgoingQueuedCount == 0)
    }

    @Test func protocolViolationsCloseTheConnection() {
        var machine = MQTTSessionStateMachine(configuration: Self.configuration())
        _ = machine.connectionEstablished(version: .v5)
        guard case .closeConnection = machine.publishReceived(.init(topic: "x", payload: ByteBuffer(), qos: .atMostOnce)) else {
            Issue.record("PUBLISH before CONNACK accepted")
            return
        }
        _ = machine.connAckReceived(.init(sessionPresent: false, reasonCode: 0), now: t0)
        guard case .closeConnection = machine.subAckReceived(.init(packetID: 77, reasonCodes: [0])) else {
            Issue.record("unknown SUBACK accepted")
            return
        }
    }

    /// Shuts the machine down and fails what it returns.
    func finish(_ machine: inout MQTTSessionStateMachine) throws {
        guard case .shutdown(let promises, _) = machine.shutdown() else {
            Issue.record("no shutdown")
            return
        }
        for pending in promises {
            switch pending {
            case .publish(let promise): promise.fail(MQTTError(.clientShutdown, "test"))
            case .subscribe(let promise): promise.fail(MQTTError(.clientShutdown, "test"))
            case .unsubscribe(let promise): promise.fail(MQTTError(.clientShutdown, "test"))
            }
        }
    }
}

extension MQTTSessionStateMachine.Action {
    var isNone: Bool {
        if case .none = self { return true }
        return false
    }
}
