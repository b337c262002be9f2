import NIOCore

/// Encodes ``MQTTPacket`` values for one protocol version. A pure value type: no I/O.
struct MQTTPacketEncoder: Sendable {
    var version: MQTTProtocolVersion

    init(version: MQTTProtocolVersion) {
        self.version = version
    }

    /// Appends the encoded packet to `buffer`.
    func encode(_ packet: MQTTPacket, into buffer: inout ByteBuffer) {
        switch packet {
        case .publish(let publish):
            self.encodePublish(publish, into: &buffer)
        case .puback(let puback):
            self.encodePubAck(puback, into: &buffer)
        case .pingreq:
            buffer.writeInteger(UInt16(0xC000))
        case .pingresp:
            buffer.writeInteger(UInt16(0xD000))
        case .connect(let connect):
            self.encodeWithBody(firstByte: 0x10, into: &buffer) { self.writeConnect(connect, to: &$0) }
        case .connack(let connack):
            self.encodeWithBody(firstByte: 0x20, into: &buffer) { body in
                body.writeInteger(UInt8(connack.sessionPresent ? 1 : 0))
                body.writeInteger(connack.reasonCode)
                if self.version == .v5 { connack.properties.write(to: &body) }
            }
        case .subscribe(let subscribe):
            self.encodeWithBody(firstByte: 0x82, into: &buffer) { body in
                body.writeInteger(subscribe.packetID)
                if self.version == .v5 { subscribe.properties.write(to: &body) }
                for subscription in subscribe.subscriptions {
                    body.writeMQTTString(subscription.topicFilter)
                    var options = subscription.qos.rawValue
                    if self.version == .v5 {
                        if subscription.noLocal { options |= 0x04 }
                        if subscription.retainAsPublished { options |= 0x08 }
                        options |= subscription.retainHandling.rawValue << 4
                    }
                    body.writeInteger(options)
                }
            }
        case .suback(let suback):
            self.encodeWithBody(firstByte: 0x90, into: &buffer) { body in
                body.writeInteger(suback.packetID)
                if self.version == .v5 { suback.properties.write(to: &body) }
                for code in suback.reasonCodes { body.writeInteger(code) }
            }
        case .unsubscribe(let unsubscribe):
            self.encodeWithBody(firstByte: 0xA2, into: &buffer) { body in
                body.writeInteger(unsubscribe.packetID)
                if self.version == .v5 { unsubscribe.properties.write(to: &body) }
                for filter in unsubscribe.topicFilters { body.writeMQTTString(filter) }
            }
        case .unsuback(let unsuback):
            self.encodeWithBody(firstByte: 0xB0, into: &buffer) { body in
                body.writeInteger(unsuback.packetID)
                if self.version == .v5 {
                    unsuback.properties.write(to: &body)
                    for code in unsuback.reasonCodes { body.writeInteger(code) }
                }
            }
        case .disconnect(let disconnect):
            if self.version == .v5, disconnect.reasonCode != 0 || !disconnect.properties.isEmpty {
                self.encodeWithBody(firstByte: 0xE0, into: &buffer) { body in
                    body.writeInteger(disconnect.reasonCode)
                    disconnect.properties.write(to: &body)
                }
            } else {
                buffer.writeInteger(UInt16(0xE000))
            }
        }
    }

    /// The encoded size of a PUBLISH, used to check it against the broker's maximum packet size.
    func encodedSize(of publish: MQTTPacket.Publish) -> Int {
        let remaining = self.publishRemainingLength(publish, propertiesLength: self.propertiesLength(publish.properties))
        return 1 + ByteBuffer.mqttVariableByteIntegerLength(remaining) + remaining
    }

    // MARK: Hot paths, written without intermediate buffers

    private func encodePublish(_ publish: MQTTPacket.Publish, into buffer: inout ByteBuffer) {
        var firstByte: UInt8 = 0x30 | (publish.qos.rawValue << 1)
        if publish.dup { firstByte |= 0x08 }
        if publish.retain { firstByte |= 0x01 }
        let propertiesBody: ByteBuffer?
        let propertiesLength: Int
        if self.version == .v5, !publish.properties.isEmpty {
            var properties = ByteBuffer()
            publish.properties.write(to: &properties)
            propertiesLength = properties.readableBytes
            propertiesBody = properties
        } else {
            propertiesLength = self.version == .v5 ? 1 : 0
            propertiesBody = nil
        }
        let remaining = self.publishRemainingLength(publish, propertiesLength: propertiesLength)
        buffer.reserveCapacity(minimumWritableBytes: remaining + 5)
        buffer.writeInteger(firstByte)
        buffer.writeMQTTVariableByteInteger(remaining)
        buffer.writeMQTTString(publish.topic)
        if publish.qos != .atMostOnce { buffer.writeInteger(publish.packetID) }
        if let propertiesBody {
            buffer.writeImmutableBuffer(propertiesBody)
        } else if self.version == .v5 {
            buffer.writeInteger(UInt8(0))
        }
        buffer.writeImmutableBuffer(publish.payload)
    }

    private func publishRemainingLength(_ publish: MQTTPacket.Publish, propertiesLength: Int) -> Int {
        2 + publish.topic.utf8.count + (publish.qos != .atMostOnce ? 2 : 0) + propertiesLength + publish.payload.readableBytes
    }

    private func propertiesLength(_ properties: MQTTProperties) -> Int {
        guard self.version == .v5 else { return 0 }
        if properties.isEmpty { return 1 }
        var buffer = ByteBuffer()
        properties.write(to: &buffer)
        return buffer.readableBytes
    }

    private func encodePubAck(_ puback: MQTTPacket.PubAck, into buffer: inout ByteBuffer) {
        if self.version == .v5, puback.reasonCode != 0 || !puback.properties.isEmpty {
            self.encodeWithBody(firstByte: 0x40, into: &buffer) { body in
                body.writeInteger(puback.packetID)
                body.writeInteger(puback.reasonCode)
                if !puback.properties.isEmpty { puback.properties.write(to: &body) }
            }
        } else {
            buffer.writeMultipleIntegers(UInt8(0x40), UInt8(2), puback.packetID)
        }
    }

    // MARK: Generic

    private func encodeWithBody(firstByte: UInt8, into buffer: inout ByteBuffer, _ writeBody: (inout ByteBuffer) -> Void) {
        var body = ByteBuffer()
        writeBody(&body)
        buffer.writeInteger(firstByte)
        buffer.writeMQTTVariableByteInteger(body.readableBytes)
        buffer.writeImmutableBuffer(body)
    }

    private func writeConnect(_ connect: MQTTPacket.Connect, to body: inout ByteBuffer) {
        body.writeMQTTString("MQTT")
        body.writeInteger(connect.version.rawValue)
        var flags: UInt8 = 0
        if connect.username != nil { flags |= 0x80 }
        if connect.password != nil { flags |= 0x40 }
        if connect.cleanStart { flags |= 0x02 }
        body.writeInteger(flags)
        body.writeInteger(connect.keepAliveSeconds)
        if connect.version == .v5 { connect.properties.write(to: &body) }
        body.writeMQTTString(connect.clientID)
        if let username = connect.username { body.writeMQTTString(username) }
        if let password = connect.password { body.writeMQTTBinary(password) }
    }
}
