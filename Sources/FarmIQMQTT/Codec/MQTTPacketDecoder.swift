import NIOCore

/// Decodes MQTT packets from a byte stream, for one protocol version. A pure value type.
///
/// `decode(from:)` returns `nil` until a whole packet is buffered and never consumes a partial
/// packet, with one exception: a PUBLISH larger than ``maximumPacketSize`` is not buffered but
/// discarded as it streams in (only its topic, packet id and properties are kept), then returned with
/// an empty payload and ``MQTTPacket/Publish/discardedPayloadSize`` set, so the application can
/// acknowledge and record it: one oversized message never ends the session (a broker without
/// `max_packet_size` delivers them, and would redeliver it on every reconnect). Any other packet over
/// the limit is rejected as soon as its fixed header is readable. Every malformed input is reported as
/// a thrown ``MQTTError``. The PUBLISH payload is a slice of the input buffer (no copy).
struct MQTTPacketDecoder: Sendable {
    /// 256 KiB of body plus the largest fixed header.
    static let defaultMaximumPacketSize = 256 * 1024 + 5
    /// The most bytes of an oversized PUBLISH buffered to read its variable header (topic ≤ 65,535 bytes,
    /// packet id, properties).
    static let oversizedHeaderProbe = 65_535 + 2 + 2 + 4 + 4096

    var version: MQTTProtocolVersion
    /// The largest packet buffered whole, fixed header included.
    var maximumPacketSize: Int
    /// An oversized PUBLISH whose remaining body bytes are being skipped.
    private var discarding: (publish: MQTTPacket.Publish, remaining: Int)?

    init(version: MQTTProtocolVersion, maximumPacketSize: Int = Self.defaultMaximumPacketSize) {
        self.version = version
        self.maximumPacketSize = maximumPacketSize
    }

    /// Decodes one packet, or returns nil if more bytes are needed (leaving `buffer` untouched, except for
    /// the body of an oversized PUBLISH, which is consumed and dropped as it arrives).
    mutating func decode(from buffer: inout ByteBuffer) throws(MQTTError) -> MQTTPacket? {
        if var discard = self.discarding {
            let skipped = min(discard.remaining, buffer.readableBytes)
            buffer.moveReaderIndex(forwardBy: skipped)
            discard.remaining -= skipped
            guard discard.remaining == 0 else {
                self.discarding = discard
                return nil
            }
            self.discarding = nil
            return .publish(discard.publish)
        }
        guard let firstByte = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return nil }
        let remainingLength: Int
        let lengthBytes: Int
        switch ByteBuffer.peekMQTTVariableByteInteger(buffer, at: buffer.readerIndex + 1) {
        case .value(let value, let length):
            remainingLength = value
            lengthBytes = length
        case .needMoreBytes:
            return nil
        case .invalid:
            throw .malformed("remaining length longer than 4 bytes")
        }
        let packetSize = 1 + lengthBytes + remainingLength
        guard packetSize <= self.maximumPacketSize else {
            guard firstByte >> 4 == MQTTPacket.PacketType.publish.rawValue else {
                throw MQTTError(.packetTooLarge, "packet of \(packetSize) bytes exceeds the maximum of \(self.maximumPacketSize)")
            }
            return try self.startDiscarding(firstByte: firstByte, lengthBytes: lengthBytes, remainingLength: remainingLength, from: &buffer)
        }
        guard buffer.readableBytes >= packetSize else { return nil }
        buffer.moveReaderIndex(forwardBy: 1 + lengthBytes)
        var body = buffer.readSlice(length: remainingLength)!  // checked above
        return try self.decodeBody(firstByte: firstByte, body: &body)
    }

    private func decodeBody(firstByte: UInt8, body: inout ByteBuffer) throws(MQTTError) -> MQTTPacket {
        let flags = firstByte & 0x0F
        guard let type = MQTTPacket.PacketType(rawValue: firstByte >> 4) else {
            throw .malformed("reserved packet type 0")
        }
        let expectedFlags: UInt8 = (type == .pubrel || type == .subscribe || type == .unsubscribe) ? 0x02 : 0x00
        guard type == .publish || flags == expectedFlags else {
            throw .malformed("reserved flag bits 0x\(String(flags, radix: 16)) set on \(type)")
        }
        let packet: MQTTPacket
        switch type {
        case .publish:
            // The payload is the rest of the body: no trailing-bytes check.
            return .publish(try self.decodePublish(flags: flags, body: &body))
        case .connect: packet = .connect(try self.decodeConnect(body: &body))
        case .connack: packet = .connack(try self.decodeConnAck(body: &body))
        case .puback: packet = .puback(try self.decodePubAck(body: &body))
        case .subscribe: packet = .subscribe(try self.decodeSubscribe(body: &body))
        case .suback: packet = .suback(try self.decodeSubAck(body: &body))
        case .unsubscribe: packet = .unsubscribe(try self.decodeUnsubscribe(body: &body))
        case .unsuback: packet = .unsuback(try self.decodeUnsubAck(body: &body))
        case .pingreq: packet = .pingreq
        case .pingresp: packet = .pingresp
        case .disconnect: packet = .disconnect(try self.decodeDisconnect(body: &body))
        case .pubrec, .pubrel, .pubcomp, .auth:
            throw MQTTError(.unsupported, "\(type) is not supported (QoS 2 and AUTH are not used)")
        }
        guard body.readableBytes == 0 else {
            throw .malformed("\(body.readableBytes) unexpected trailing bytes in \(type)")
        }
        return packet
    }

    // MARK: PUBLISH

    /// An oversized PUBLISH: reads its variable header once buffered, then skips the body.
    private mutating func startDiscarding(
        firstByte: UInt8, lengthBytes: Int, remainingLength: Int, from buffer: inout ByteBuffer
    ) throws(MQTTError) -> MQTTPacket? {
        // Parse the variable header from what is buffered; wait for more only while it may be cut short.
        let probeLength = min(remainingLength, Self.oversizedHeaderProbe, buffer.readableBytes - 1 - lengthBytes)
        guard probeLength > 0 else { return nil }
        var probe = buffer.getSlice(at: buffer.readerIndex + 1 + lengthBytes, length: probeLength)!  // within readable bytes
        let publish: MQTTPacket.Publish
        do {
            publish = try self.decodePublishHeader(flags: firstByte & 0x0F, body: &probe)
        } catch where probeLength < min(remainingLength, Self.oversizedHeaderProbe) {
            return nil
        }
        var discarded = publish
        let headerLength = probeLength - probe.readableBytes
        discarded.discardedPayloadSize = remainingLength - headerLength
        buffer.moveReaderIndex(forwardBy: 1 + lengthBytes + headerLength)
        self.discarding = (discarded, remainingLength - headerLength)
        return try self.decode(from: &buffer)
    }

    private func decodePublish(flags: UInt8, body: inout ByteBuffer) throws(MQTTError) -> MQTTPacket.Publish {
        var publish = try self.decodePublishHeader(flags: flags, body: &body)
        publish.payload = body.readSlice(length: body.readableBytes)!
        return publish
    }

    /// The fixed-header flags and variable header of a PUBLISH; the payload is left in `body`.
    private func decodePublishHeader(flags: UInt8, body: inout ByteBuffer) throws(MQTTError) -> MQTTPacket.Publish {
        guard let qos = MQTTQoS(rawValue: (flags >> 1) & 0x03) else { throw .malformed("PUBLISH with QoS 3") }
        let dup = flags & 0x08 != 0
        guard !(dup && qos == .atMostOnce) else { throw .malformed("PUBLISH with DUP set on QoS 0") }
        let topic = try body.readMQTTString()
        guard !topic.utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") }) else {
            throw .malformed("wildcard in PUBLISH topic")
        }
        var packetID: UInt16 = 0
        if qos != .atMostOnce {
            guard let id = body.readInteger(as: UInt16.self) else { throw .malformed("truncated PUBLISH packet id") }
            guard id != 0 else { throw .malformed("packet id 0 on a QoS \(qos.rawValue) PUBLISH") }
            packetID = id
        }
        var properties = MQTTProperties()
        if self.version == .v5 {
            properties = try MQTTProperties.read(from: &body)
        }
        guard !topic.isEmpty else {
            // An empty topic is only valid with a topic alias, which this client never allows.
            throw MQTTError(.protocolError, "PUBLISH with an empty topic (topic aliases are not supported)")
        }
        return MQTTPacket.Publish(
            topic: topic,
            payload: ByteBuffer(),
            qos: qos,
            retain: flags & 0x01 != 0,
            dup: dup,
            packetID: packetID,
            properties: properties
        )
    }

    // MARK: Acknowledgements

    private func decodePubAck(body: inout ByteBuffer) throws(MQTTError) -> MQTTPacket.PubAck {
        let packetID = try Self.readPacketID(&body, "PUBACK")
        var puback = MQTTPacket.PubAck(packetID: packetID)
        if self.version == .v5, body.readableBytes > 0 {
            puback.reasonCode = body.readInteger(as: UInt8.self)!
            if body.readableBytes > 0 { puback.properties = try MQTTProperties.read(from: &body) }
        }
        return puback
    }

    private func decodeConnAck(body: inout ByteBuffer) throws(MQTTError) -> MQTTPacket.ConnAck {
        guard let (flags, code) = body.readMultipleIntegers(as: (UInt8, UInt8).self) else {
            throw .malformed("truncated CONNACK")
        }
        guard flags & 0xFE == 0 else { throw .malformed("reserved CONNACK flag bits set") }
        var connack = MQTTPacket.ConnAck(sessionPresent: flags & 0x01 != 0, reasonCode: code)
        // A 3.1.1-only broker answers a v5 CONNECT with a 2-byte CONNACK: no properties.
        if self.version == .v5, body.readableBytes > 0 {
            connack.properties = try MQTTProperties.read(from: &body)
        }
        return connack
    }

    private func decodeSubAck(body: inout ByteBuffer) throws(MQTTError) -> MQTTPacket.SubAck {
        let packetID = try Self.readPacketID(&body, "SUBACK")
        var properties = MQTTProperties()
        if self.version == .v5 { properties = try MQTTProperties.read(from: &body) }
        guard body.readableBytes > 0 else { throw .malformed("SUBACK without reason codes") }
        let codes = body.readBytes(length: body.readableBytes)!
        return MQTTPacket.SubAck(packetID: packetID, reasonCodes: codes, properties: properties)
    }

    private func decodeUnsubAck(body: inout ByteBuffer) throws(MQTTError) -> MQTTPacket.UnsubAck {
        let packetID = try Self.readPacketID(&body, "UNSUBACK")
        guard self.version == .v5 else { return MQTTPacket.UnsubAck(packetID: packetID, reasonCodes: []) }
        let properties = try MQTTProperties.read(from: &body)
        guard body.readableBytes > 0 else { throw .malformed("UNSUBACK without reason codes") }
        let codes = body.readBytes(length: body.readableBytes)!
        return MQTTPacket.UnsubAck(packetID: packetID, reasonCodes: codes, properties: properties)
    }

    private func decodeDisconnect(body: inout ByteBuffer) throws(MQTTError) -> MQTTPacket.Disconnect {
        var disconnect = MQTTPacket.Disconnect()
        if self.version == .v5, body.readableBytes > 0 {
            disconnect.reasonCode = body.readInteger(as: UInt8.self)!
            if body.readableBytes > 0 { disconnect.properties = try MQTTProperties.read(from: &body) }
        }
        return disconnect
    }

    // MARK: Client → server packets (decoded for tests and completeness)

    private func decodeConnect(body: inout ByteBuffer) throws(MQTTError) -> MQTTPacket.Connect {
        guard try body.readMQTTString() == "MQTT" else { throw .malformed("CONNECT protocol name is not MQTT") }
        guard let (level, flags, keepAlive) = body.readMultipleIntegers(as: (UInt8, UInt8, UInt16).self) else {
            throw .malformed("truncated CONNECT")
        }
        guard let version = MQTTProtocolVersion(rawValue: level) else {
            throw MQTTError(.unsupportedProtocolVersion, "protocol level \(level)")
        }
        guard flags & 0x01 == 0 else { throw .malformed("CONNECT reserved flag set") }
        guard flags & 0x04 == 0 else { throw MQTTError(.unsupported, "CONNECT with a will message") }
        var connect = MQTTPacket.Connect(
            version: version,
            clientID: "",
            cleanStart: flags & 0x02 != 0,
            keepAliveSeconds: keepAlive
        )
        if version == .v5 { connect.properties = try MQTTProperties.read(from: &body) }
        connect.clientID = try body.readMQTTString()
        if flags & 0x80 != 0 { connect.username = try body.readMQTTString() }
        if flags & 0x40 != 0 {
            var password = try body.readMQTTBinary()
            connect.password = password.readBytes(length: password.readableBytes)
        }
        return connect
    }

    private func decodeSubscribe(body: inout ByteBuffer) throws(MQTTError) -> MQTTPacket.Subscribe {
        let packetID = try Self.readPacketID(&body, "SUBSCRIBE")
        var properties = MQTTProperties()
        if self.version == .v5 { properties = try MQTTProperties.read(from: &body) }
        var subscriptions: [MQTTSubscription] = []
        while body.readableBytes > 0 {
            let filter = try body.readMQTTString()
            guard let options = body.readInteger(as: UInt8.self) else { throw .malformed("truncated SUBSCRIBE options") }
            guard let qos = MQTTQoS(rawValue: options & 0x03),
                  let retainHandling = MQTTSubscription.RetainHandling(rawValue: (options >> 4) & 0x03),
                  options & 0xC0 == 0
            else { throw .malformed("invalid SUBSCRIBE options 0x\(String(options, radix: 16))") }
            if self.version == .v311, options & 0xFC != 0 { throw .malformed("reserved SUBSCRIBE option bits set") }
            subscriptions.append(MQTTSubscription(
                topicFilter: filter,
                qos: qos,
                noLocal: options & 0x04 != 0,
                retainAsPublished: options & 0x08 != 0,
                retainHandling: retainHandling
            ))
        }
        guard !subscriptions.isEmpty else { throw .malformed("SUBSCRIBE without topic filters") }
        return MQTTPacket.Subscribe(packetID: packetID, subscriptions: subscriptions, properties: properties)
    }

    private func decodeUnsubscribe(body: inout ByteBuffer) throws(MQTTError) -> MQTTPacket.Unsubscribe {
        let packetID = try Self.readPacketID(&body, "UNSUBSCRIBE")
        var properties = MQTTProperties()
        if self.version == .v5 { properties = try MQTTProperties.read(from: &body) }
        var filters: [String] = []
        while body.readableBytes > 0 { filters.append(try body.readMQTTString()) }
        guard !filters.isEmpty else { throw .malformed("UNSUBSCRIBE without topic filters") }
        return MQTTPacket.Unsubscribe(packetID: packetID, topicFilters: filters, properties: properties)
    }

    private static func readPacketID(_ body: inout ByteBuffer, _ packet: StaticString) throws(MQTTError) -> UInt16 {
        guard let id = body.readInteger(as: UInt16.self) else { throw .malformed("truncated \(packet)") }
        guard id != 0 else { throw .malformed("packet id 0 in \(packet)") }
        return id
    }
}

/// Adapts ``MQTTPacketDecoder`` to NIO's `ByteToMessageDecoder`.
struct MQTTByteToPacketDecoder: ByteToMessageDecoder {
    typealias InboundOut = MQTTPacket

    var decoder: MQTTPacketDecoder

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let packet = try self.decoder.decode(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(NIOAny(packet))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try self.decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
