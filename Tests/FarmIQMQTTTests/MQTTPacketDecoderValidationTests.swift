import FarmIQCore
import NIOCore
import Testing

@testable import FarmIQMQTT

@Suite("MQTT decoder rejects bad input")
struct MQTTPacketDecoderValidationTests {
    func decode(_ bytes: [UInt8], _ version: MQTTProtocolVersion = .v5, maximumPacketSize: Int = MQTTPacketDecoder.defaultMaximumPacketSize) throws(MQTTError) -> MQTTPacket? {
        var buffer = ByteBuffer(bytes: bytes)
        return try MQTTPacketDecoder.decodeOnce(version: version, maximumPacketSize: maximumPacketSize, from: &buffer)
    }

    func expectError(_ code: MQTTError.Code, _ bytes: [UInt8], _ version: MQTTProtocolVersion = .v5, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let packet = try decode(bytes, version)
            Issue.record("decoded \(String(describing: packet)) instead of failing with \(code)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func variableByteIntegerLongerThanFourBytes() {
        expectError(.malformedPacket, [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
    }

    @Test func truncatedPacketsWaitForMoreBytes() throws {
        #expect(try decode([]) == nil)
        #expect(try decode([0x30]) == nil)
        #expect(try decode([0x30, 0x80]) == nil)           // varint continues
        #expect(try decode([0x32, 0x09, 0x00, 0x03]) == nil) // body incomplete
    }

    @Test func oversizedPacketRejectedFromItsHeaderAlone() {
        // A SUBACK announcing 1 MiB, only the fixed header present.
        do {
            _ = try decode([0x90, 0x80, 0x80, 0x40], maximumPacketSize: 1024)
            Issue.record("accepted")
        } catch {
            #expect(error.code == .packetTooLarge)
        }
        // At the limit is fine.
        #expect((try? decode([0x30, 0x04, 0x00, 0x01, 0x61, 0x00], .v5, maximumPacketSize: 6)) != nil)
    }

    /// An oversized PUBLISH is never buffered whole nor fatal: its header is kept, its body skipped as it
    /// arrives in pieces, and the packet after it decodes normally.
    @Test(arguments: [MQTTProtocolVersion.v311, .v5])
    func oversizedPublishIsDiscardedAsItStreams(version: MQTTProtocolVersion) throws {
        let encoder = MQTTPacketEncoder(version: version)
        var big = ByteBuffer()
        let payload = ByteBuffer(bytes: [UInt8](repeating: 0x41, count: 300_000))
        encoder.encode(.publish(.init(topic: "farmiq/v1/t/f/b/d/telemetry", payload: payload, qos: .atLeastOnce, packetID: 7)), into: &big)
        encoder.encode(.publish(.init(topic: "next", payload: ByteBuffer(string: "ok"), qos: .atLeastOnce, packetID: 8)), into: &big)
        var decoder = MQTTPacketDecoder(version: version, maximumPacketSize: 1024)
        var stream = ByteBuffer()
        var packets: [MQTTPacket] = []
        var peakBuffered = 0
        while big.readableBytes > 0 {
            var chunk = big.readSlice(length: min(4096, big.readableBytes))!
            stream.writeBuffer(&chunk)
            while let packet = try decoder.decode(from: &stream) { packets.append(packet) }
            peakBuffered = max(peakBuffered, stream.readableBytes)
            stream.discardReadBytes()
        }
        #expect(peakBuffered <= 8192)
        #expect(packets.count == 2)
        guard packets.count == 2, case .publish(let first) = packets[0], case .publish(let second) = packets[1] else { return }
        #expect(first.topic == "farmiq/v1/t/f/b/d/telemetry")
        #expect(first.packetID == 7)
        #expect(first.payload.readableBytes == 0)
        #expect(first.discardedPayloadSize == 300_000)
        #expect(second.discardedPayloadSize == nil)
        #expect(second.payload == ByteBuffer(string: "ok"))
    }

    @Test func lengthsThatExceedThePacket() {
        // Topic length 200 in a 5-byte body.
        expectError(.malformedPacket, [0x30, 0x05, 0x00, 0xC8, 0x61, 0x62, 0x63])
        // v5 property length beyond the body.
        expectError(.malformedPacket, [0x30, 0x05, 0x00, 0x01, 0x61, 0x09, 0x01])
        // QoS 1 PUBLISH cut inside the packet id.
        expectError(.malformedPacket, [0x32, 0x04, 0x00, 0x01, 0x61, 0x00])
        // SUBACK with a property length beyond the body.
        expectError(.malformedPacket, [0x90, 0x03, 0x00, 0x01, 0x05])
    }

    @Test func invalidUTF8Topic() {
        expectError(.malformedPacket, [0x30, 0x04, 0x00, 0x02, 0xC3, 0x28], .v311) // bad continuation
        expectError(.malformedPacket, [0x30, 0x04, 0x00, 0x02, 0xC0, 0xAF], .v311) // overlong '/'
        expectError(.malformedPacket, [0x30, 0x05, 0x00, 0x03, 0xED, 0xA0, 0x80], .v311) // surrogate
        expectError(.malformedPacket, [0x30, 0x03, 0x00, 0x01, 0x00], .v311) // U+0000
        expectError(.malformedPacket, [0x30, 0x03, 0x00, 0x01, 0xFF], .v311)
    }

    @Test func wildcardInPublishTopic() {
        expectError(.malformedPacket, [0x30, 0x05, 0x00, 0x03, 0x61, 0x2F, 0x2B], .v311)
        expectError(.malformedPacket, [0x30, 0x03, 0x00, 0x01, 0x23], .v311)
    }

    @Test func packetIDZero() {
        expectError(.malformedPacket, [0x32, 0x05, 0x00, 0x01, 0x61, 0x00, 0x00], .v311)
        expectError(.malformedPacket, [0x40, 0x02, 0x00, 0x00], .v311)
        expectError(.malformedPacket, [0x90, 0x03, 0x00, 0x00, 0x01], .v311)
    }

    @Test func reservedFlagBitsAndTypes() {
        expectError(.malformedPacket, [0x41, 0x02, 0x00, 0x01])       // PUBACK flags
        expectError(.malformedPacket, [0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x01]) // SUBSCRIBE without 0b0010
        expectError(.malformedPacket, [0xC1, 0x00])                   // PINGREQ flags
        expectError(.malformedPacket, [0x00, 0x00])                   // type 0
        expectError(.malformedPacket, [0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01], .v311) // QoS 3
        expectError(.malformedPacket, [0x38, 0x03, 0x00, 0x01, 0x61], .v311) // DUP on QoS 0
        expectError(.malformedPacket, [0x20, 0x03, 0x02, 0x00, 0x00]) // CONNACK reserved flag
        expectError(.unsupported, [0x50, 0x02, 0x00, 0x01])           // PUBREC (QoS 2)
    }

    @Test func trailingBytesAndBadProperties() {
        expectError(.malformedPacket, [0xD0, 0x01, 0x00])            // PINGRESP with a body
        expectError(.malformedPacket, [0x40, 0x05, 0x00, 0x01, 0x00, 0x00, 0xFF], .v5) // bytes after PUBACK props
        expectError(.malformedPacket, [0x20, 0x05, 0x00, 0x00, 0x02, 0x7F, 0x00]) // unknown property id
        expectError(.protocolError, [0x20, 0x09, 0x00, 0x00, 0x06, 0x21, 0x00, 0x05, 0x21, 0x00, 0x06]) // duplicate receive max
        expectError(.malformedPacket, [0x20, 0x06, 0x00, 0x00, 0x03, 0x21, 0x00, 0x00]) // receive max 0
    }

    @Test func emptyTopicWithoutAliasSupport() {
        expectError(.protocolError, [0x30, 0x03, 0x00, 0x00, 0x00], .v5)
    }

    @Test func randomGarbageNeverTraps() {
        var generator = SplitMix64(seed: 0xFA_4D1C)
        var outcomes = (packets: 0, errors: 0, needMore: 0)
        for round in 0..<10_000 {
            let count = Int.random(in: 0...64, using: &generator)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            // Half of the rounds start with a plausible header so bodies get exercised.
            if round.isMultiple(of: 2), !bytes.isEmpty {
                bytes[0] = UInt8.random(in: 1...14, using: &generator) << 4 | (bytes[0] & 0x0F)
                if bytes.count > 1 { bytes[1] = UInt8(min(bytes.count - 2, 127)) }
            }
            for version in [MQTTProtocolVersion.v311, .v5] {
                var buffer = ByteBuffer(bytes: bytes)
                var decoder = MQTTPacketDecoder(version: version, maximumPacketSize: 48)
                do {
                    while let _ = try decoder.decode(from: &buffer) { outcomes.packets += 1 }
                    outcomes.needMore += 1
                } catch {
                    outcomes.errors += 1
                }
            }
        }
        #expect(outcomes.errors > 1000)
        #expect(outcomes.packets > 10)
    }

    @Test func mutatedValidPacketsNeverTrap() {
        var generator = SplitMix64(seed: 42)
        var encoded: [ByteBuffer] = []
        for version in [MQTTProtocolVersion.v311, .v5] {
            let encoder = MQTTPacketEncoder(version: version)
            var connack = MQTTPacket.ConnAck(sessionPresent: true, reasonCode: 0)
            connack.properties.receiveMaximum = 10
            connack.properties.assignedClientIdentifier = "id"
            for packet: MQTTPacket in [
                .connack(connack),
                .publish(.init(topic: "a/b/c", payload: ByteBuffer(string: "xyz"), qos: .atLeastOnce, packetID: 3)),
                .suback(.init(packetID: 1, reasonCodes: [0, 1])),
                .unsuback(.init(packetID: 1, reasonCodes: version == .v5 ? [0] : [])),
                .puback(.init(packetID: 2, reasonCode: 0x80)),
                .disconnect(.init(reasonCode: 0x8E)),
                .connect(.init(version: version, clientID: "c", cleanStart: false, keepAliveSeconds: 5, username: "u", password: [1])),
                .subscribe(.init(packetID: 5, subscriptions: [.init(topicFilter: "a/#")])),
            ] {
                var buffer = ByteBuffer()
                encoder.encode(packet, into: &buffer)
                encoded.append(buffer)
            }
        }
        for _ in 0..<10_000 {
            var bytes = Array(encoded.randomElement(using: &generator)!.readableBytesView)
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            if Bool.random(using: &generator) { bytes.removeLast(Int.random(in: 0..<bytes.count, using: &generator)) }
            for version in [MQTTProtocolVersion.v311, .v5] {
                var buffer = ByteBuffer(bytes: bytes)
                _ = try? MQTTPacketDecoder.decodeOnce(version: version, from: &buffer)
            }
        }
    }

    @Test func utf8Validator() {
        func valid(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { MQTTUTF8.isValidMQTTString($0) } }
        #expect(valid(Array("farmiq/ü/€/𝄞".utf8)))
        #expect(!valid([0xE0, 0x80, 0x80]))       // overlong
        #expect(!valid([0xF4, 0x90, 0x80, 0x80])) // > U+10FFFF
        #expect(!valid([0xE2, 0x82]))             // truncated
        #expect(!valid([0x80]))                   // lone continuation
    }

    @Test func topicFilterValidation() throws {
        for good in ["a/b", "#", "+", "a/+/c", "a/#", "$share/g/a/+/c", "$SYS/#", "/"] {
            #expect(throws: Never.self) { try MQTTTopic.validateFilter(good) }
        }
        for bad in ["", "a/#/c", "a#", "a/b+", "$share/g", "$share//a", "$share/g+/a"] {
            #expect(throws: MQTTError.self, "\(bad)") { try MQTTTopic.validateFilter(bad) }
        }
        #expect(throws: MQTTError.self) { try MQTTTopic.validateName("a/+") }
        #expect(throws: MQTTError.self) { try MQTTTopic.validateName("") }
    }
}
