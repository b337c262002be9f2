import NIOCore
import Testing

@testable import FarmIQMQTT

@Suite("MQTT packet codec")
struct MQTTPacketCodecTests {
    static let versions: [MQTTProtocolVersion] = [.v311, .v5]

    /// Encodes, decodes at once and byte by byte; both must give the packet back.
    func assertRoundTrip(_ packet: MQTTPacket, _ version: MQTTProtocolVersion, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var buffer = ByteBuffer()
        MQTTPacketEncoder(version: version).encode(packet, into: &buffer)
        var decoder = MQTTPacketDecoder(version: version)
        var whole = buffer
        let decoded = try decoder.decode(from: &whole)
        #expect(decoded == packet, sourceLocation: sourceLocation)
        #expect(whole.readableBytes == 0, sourceLocation: sourceLocation)

        // Incremental: nothing until the last byte, and nothing consumed before.
        var partial = ByteBuffer()
        let bytes = buffer.readableBytesView
        for (index, byte) in zip(bytes.indices, bytes) {
            partial.writeInteger(byte)
            let result = try decoder.decode(from: &partial)
            if index == bytes.index(before: bytes.endIndex) {
                #expect(result == packet, sourceLocation: sourceLocation)
            } else {
                #expect(result == nil, sourceLocation: sourceLocation)
                #expect(partial.readableBytes == index - bytes.startIndex + 1, sourceLocation: sourceLocation)
            }
        }
    }

    @Test(arguments: versions)
    func connectRoundTrip(version: MQTTProtocolVersion) throws {
        var connect = MQTTPacket.Connect(version: version, clientID: "gateway-1", cleanStart: false, keepAliveSeconds: 30, username: "user", password: Array("päss".utf8))
        if version == .v5 {
            connect.properties.sessionExpiryInterval = 604_800
            connect.properties.receiveMaximum = 1024
            connect.properties.maximumPacketSize = 262_149
        }
        try assertRoundTrip(.connect(connect), version)
        let anonymous = MQTTPacket.Connect(version: version, clientID: "", cleanStart: true, keepAliveSeconds: 0)
        try assertRoundTrip(.connect(anonymous), version)
    }

    @Test(arguments: versions)
    func connAckRoundTrip(version: MQTTProtocolVersion) throws {
        var connack = MQTTPacket.ConnAck(sessionPresent: true, reasonCode: 0)
        if version == .v5 {
            connack.properties.receiveMaximum = 20
            connack.properties.assignedClientIdentifier = "auto-123"
            connack.properties.serverKeepAlive = 60
            connack.properties.maximumPacketSize = 1_000_000
            connack.properties.topicAliasMaximum = 10
            connack.properties.userProperties = [.init(name: "a", value: "b"), .init(name: "a", value: "c")]
        }
        try assertRoundTrip(.connack(connack), version)
        try assertRoundTrip(.connack(.init(sessionPresent: false, reasonCode: version == .v5 ? 0x84 : 0x01)), version)
    }

    @Test(arguments: versions)
    func publishRoundTrip(version: MQTTProtocolVersion) throws {
        let payload = ByteBuffer(string: #"{"schema_version":1}"#)
        try assertRoundTrip(.publish(.init(topic: "farmiq/v1/t/f/b/d/telemetry", payload: payload, qos: .atMostOnce)), version)
        try assertRoundTrip(.publish(.init(topic: "a/ü/b", payload: payload, qos: .atLeastOnce, retain: true, dup: true, packetID: 65_535)), version)
        try assertRoundTrip(.publish(.init(topic: "empty/payload", payload: ByteBuffer(), qos: .atLeastOnce, packetID: 1)), version)
        if version == .v5 {
            var properties = MQTTProperties()
            properties.payloadFormatIndicator = 1
            properties.messageExpiryInterval = 60
            properties.contentType = "application/json"
            properties.responseTopic = "reply/here"
            properties.correlationData = ByteBuffer(bytes: [1, 2, 3])
            properties.subscriptionIdentifiers = [1, 268_435_455]
            properties.userProperties = [.init(name: "trace", value: "x")]
            try assertRoundTrip(.publish(.init(topic: "p", payload: payload, qos: .atLeastOnce, packetID: 7, properties: properties)), version)
        }
    }

    @Test(arguments: versions)
    func acknowledgementRoundTrips(version: MQTTProtocolVersion) throws {
        try assertRoundTrip(.puback(.init(packetID: 1)), version)
        try assertRoundTrip(.puback(.init(packetID: 65_535)), version)
        let codes: [UInt8] = version == .v5 ? [0, 1, 0x80, 0x97] : [0, 1, 0x80]
        try assertRoundTrip(.suback(.init(packetID: 9, reasonCodes: codes)), version)
        try assertRoundTrip(.unsuback(.init(packetID: 10, reasonCodes: version == .v5 ? [0, 0x11] : [])), version)
        if version == .v5 {
            var properties = MQTTProperties()
            properties.reasonString = "quota exceeded"
            try assertRoundTrip(.puback(.init(packetID: 3, reasonCode: 0x97, properties: properties)), version)
            try assertRoundTrip(.puback(.init(packetID: 4, reasonCode: 0x10)), version)
        }
    }

    @Test(arguments: versions)
    func subscribeRoundTrip(version: MQTTProtocolVersion) throws {
        var subscriptions = [
            MQTTSubscription(topicFilter: "farmiq/v1/+/+/+/+/telemetry", qos: .atLeastOnce),
            MQTTSubscription.shared(group: "gateway", topicFilter: "farmiq/v1/#", qos: .atMostOnce),
            MQTTSubscription(topicFilter: "#", qos: .atLeastOnce),
        ]
        if version == .v5 {
            subscriptions.append(MQTTSubscription(topicFilter: "x/y", qos: .atLeastOnce, noLocal: true, retainAsPublished: true, retainHandling: .doNotSend))
        }
        try assertRoundTrip(.subscribe(.init(packetID: 42, subscriptions: subscriptions)), version)
        try assertRoundTrip(.unsubscribe(.init(packetID: 43, topicFilters: ["a/b", "$share/g/c/#"])), version)
    }

    @Test(arguments: versions)
    func pingAndDisconnectRoundTrip(version: MQTTProtocolVersion) throws {
        try assertRoundTrip(.pingreq, version)
        try assertRoundTrip(.pingresp, version)
        try assertRoundTrip(.disconnect(.init()), version)
        if version == .v5 {
            var properties = MQTTProperties()
            properties.reasonString = "bye"
            properties.serverReference = "other:1883"
            try assertRoundTrip(.disconnect(.init(reasonCode: 0x8E, properties: properties)), version)
        }
    }

    @Test func knownWireBytes() throws {
        var buffer = ByteBuffer()
        let v311 = MQTTPacketEncoder(version: .v311)
        v311.encode(.puback(.init(packetID: 0x0102)), into: &buffer)
        v311.encode(.pingreq, into: &buffer)
        v311.encode(.publish(.init(topic: "a/b", payload: ByteBuffer(string: "hi"), qos: .atLeastOnce, packetID: 10)), into: &buffer)
        #expect(Array(buffer.readableBytesView) == [
            0x40, 0x02, 0x01, 0x02,
            0xC0, 0x00,
            0x32, 0x09, 0x00, 0x03, 0x61, 0x2F, 0x62, 0x00, 0x0A, 0x68, 0x69,
        ])
        // MQTT 5 CONNECT with clean start, keepalive 60, no properties, client id "c".
        buffer.clear()
        MQTTPacketEncoder(version: .v5).encode(.connect(.init(version: .v5, clientID: "c", cleanStart: true, keepAliveSeconds: 60)), into: &buffer)
        #expect(Array(buffer.readableBytesView) == [0x10, 0x0E, 0x00, 0x04, 0x4D, 0x51, 0x54, 0x54, 0x05, 0x02, 0x00, 0x3C, 0x00, 0x00, 0x01, 0x63])
    }

    @Test func largeRemainingLengthUsesMultiByteVarint() throws {
        let payload = ByteBuffer(repeating: 0xAB, count: 200_000)
        let packet = MQTTPacket.publish(.init(topic: "big", payload: payload, qos: .atLeastOnce, packetID: 5))
        var buffer = ByteBuffer()
        MQTTPacketEncoder(version: .v5).encode(packet, into: &buffer)
        #expect(buffer.getInteger(at: 1, as: UInt8.self)! & 0x80 != 0)
        #expect(try MQTTPacketDecoder.decodeOnce(version: .v5, from: &buffer) == packet)
    }

    @Test func publishPayloadIsASliceOfTheInput() throws {
        var buffer = ByteBuffer()
        MQTTPacketEncoder(version: .v5).encode(.publish(.init(topic: "t", payload: ByteBuffer(string: "payload"), qos: .atLeastOnce, packetID: 1)), into: &buffer)
        let inputBase = buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        let inputCount = buffer.readableBytes
        guard case .publish(let publish) = try MQTTPacketDecoder.decodeOnce(version: .v5, from: &buffer) else {
            Issue.record("not a PUBLISH")
            return
        }
        let payloadBase = publish.payload.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        #expect(payloadBase == inputBase + UInt(inputCount - 7))
        #expect(String(buffer: publish.payload) == "payload")
    }

    @Test func threeOneOneConnAckAcceptedByV5Decoder() throws {
        var buffer = ByteBuffer(bytes: [0x20, 0x02, 0x00, 0x01])
        let packet = try MQTTPacketDecoder.decodeOnce(version: .v5, from: &buffer)
        #expect(packet == .connack(.init(sessionPresent: false, reasonCode: 0x01)))
    }
}
