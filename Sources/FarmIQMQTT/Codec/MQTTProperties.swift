import NIOCore

/// MQTT 5 properties. Only the properties this client uses are kept with their meaning; all the
/// others are parsed (so their lengths are validated) and kept for round trips.
struct MQTTProperties: Sendable, Equatable {
    var payloadFormatIndicator: UInt8?
    var messageExpiryInterval: UInt32?
    var contentType: String?
    var responseTopic: String?
    var correlationData: ByteBuffer?
    var subscriptionIdentifiers: [UInt32] = []
    var sessionExpiryInterval: UInt32?
    var assignedClientIdentifier: String?
    var serverKeepAlive: UInt16?
    var authenticationMethod: String?
    var authenticationData: ByteBuffer?
    var requestProblemInformation: UInt8?
    var willDelayInterval: UInt32?
    var requestResponseInformation: UInt8?
    var responseInformation: String?
    var serverReference: String?
    var reasonString: String?
    var receiveMaximum: UInt16?
    var topicAliasMaximum: UInt16?
    var topicAlias: UInt16?
    var maximumQoS: UInt8?
    var retainAvailable: UInt8?
    var userProperties: [UserProperty] = []
    var maximumPacketSize: UInt32?
    var wildcardSubscriptionAvailable: UInt8?
    var subscriptionIdentifierAvailable: UInt8?
    var sharedSubscriptionAvailable: UInt8?

    struct UserProperty: Sendable, Equatable {
        var name: String
        var value: String
    }

    /// Property identifiers (MQTT 5, section 2.2.2.2).
    enum Identifier: UInt8 {
        case payloadFormatIndicator = 0x01
        case messageExpiryInterval = 0x02
        case contentType = 0x03
        case responseTopic = 0x08
        case correlationData = 0x09
        case subscriptionIdentifier = 0x0B
        case sessionExpiryInterval = 0x11
        case assignedClientIdentifier = 0x12
        case serverKeepAlive = 0x13
        case authenticationMethod = 0x15
        case authenticationData = 0x16
        case requestProblemInformation = 0x17
        case willDelayInterval = 0x18
        case requestResponseInformation = 0x19
        case responseInformation = 0x1A
        case serverReference = 0x1C
        case reasonString = 0x1F
        case receiveMaximum = 0x21
        case topicAliasMaximum = 0x22
        case topicAlias = 0x23
        case maximumQoS = 0x24
        case retainAvailable = 0x25
        case userProperty = 0x26
        case maximumPacketSize = 0x27
        case wildcardSubscriptionAvailable = 0x28
        case subscriptionIdentifierAvailable = 0x29
        case sharedSubscriptionAvailable = 0x2A
    }

    var isEmpty: Bool { self == MQTTProperties() }
}

// MARK: - Decoding

extension MQTTProperties {
    /// Reads a property length and the properties that follow from `buffer`.
    static func read(from buffer: inout ByteBuffer) throws(MQTTError) -> MQTTProperties {
        let length = try buffer.readMQTTVariableByteInteger()
        guard length > 0 else { return MQTTProperties() }
        guard var slice = buffer.readSlice(length: length) else {
            throw .malformed("property length \(length) exceeds the packet")
        }
        var properties = MQTTProperties()
        while slice.readableBytes > 0 {
            try properties.readOne(from: &slice)
        }
        return properties
    }

    private mutating func readOne(from buffer: inout ByteBuffer) throws(MQTTError) {
        let rawID = try buffer.readMQTTVariableByteInteger()
        guard rawID <= 0xFF, let id = Identifier(rawValue: UInt8(rawID)) else {
            throw .malformed("unknown property identifier 0x\(String(rawID, radix: 16))")
        }
        switch id {
        case .payloadFormatIndicator: try Self.setOnce(&self.payloadFormatIndicator, try Self.byte(&buffer), id)
        case .messageExpiryInterval: try Self.setOnce(&self.messageExpiryInterval, try Self.uint32(&buffer), id)
        case .contentType: try Self.setOnce(&self.contentType, try buffer.readMQTTString(), id)
        case .responseTopic: try Self.setOnce(&self.responseTopic, try buffer.readMQTTString(), id)
        case .correlationData: try Self.setOnce(&self.correlationData, try buffer.readMQTTBinary(), id)
        case .subscriptionIdentifier:
            let value = try buffer.readMQTTVariableByteInteger()
            guard value > 0 else { throw .malformed("subscription identifier 0") }
            self.subscriptionIdentifiers.append(UInt32(value))
        case .sessionExpiryInterval: try Self.setOnce(&self.sessionExpiryInterval, try Self.uint32(&buffer), id)
        case .assignedClientIdentifier: try Self.setOnce(&self.assignedClientIdentifier, try buffer.readMQTTString(), id)
        case .serverKeepAlive: try Self.setOnce(&self.serverKeepAlive, try Self.uint16(&buffer), id)
        case .authenticationMethod: try Self.setOnce(&self.authenticationMethod, try buffer.readMQTTString(), id)
        case .authenticationData: try Self.setOnce(&self.authenticationData, try buffer.readMQTTBinary(), id)
        case .requestProblemInformation: try Self.setOnce(&self.requestProblemInformation, try Self.byte(&buffer), id)
        case .willDelayInterval: try Self.setOnce(&self.willDelayInterval, try Self.uint32(&buffer), id)
        case .requestResponseInformation: try Self.setOnce(&self.requestResponseInformation, try Self.byte(&buffer), id)
        case .responseInformation: try Self.setOnce(&self.responseInformation, try buffer.readMQTTString(), id)
        case .serverReference: try Self.setOnce(&self.serverReference, try buffer.readMQTTString(), id)
        case .reasonString: try Self.setOnce(&self.reasonString, try buffer.readMQTTString(), id)
        case .receiveMaximum:
            let value = try Self.uint16(&buffer)
            guard value > 0 else { throw .malformed("receive maximum 0") }
            try Self.setOnce(&self.receiveMaximum, value, id)
        case .topicAliasMaximum: try Self.setOnce(&self.topicAliasMaximum, try Self.uint16(&buffer), id)
        case .topicAlias: try Self.setOnce(&self.topicAlias, try Self.uint16(&buffer), id)
        case .maximumQoS: try Self.setOnce(&self.maximumQoS, try Self.byte(&buffer), id)
        case .retainAvailable: try Self.setOnce(&self.retainAvailable, try Self.byte(&buffer), id)
        case .userProperty:
            let name = try buffer.readMQTTString()
            let value = try buffer.readMQTTString()
            self.userProperties.append(UserProperty(name: name, value: value))
        case .maximumPacketSize:
            let value = try Self.uint32(&buffer)
            guard value > 0 else { throw .malformed("maximum packet size 0") }
            try Self.setOnce(&self.maximumPacketSize, value, id)
        case .wildcardSubscriptionAvailable: try Self.setOnce(&self.wildcardSubscriptionAvailable, try Self.byte(&buffer), id)
        case .subscriptionIdentifierAvailable: try Self.setOnce(&self.subscriptionIdentifierAvailable, try Self.byte(&buffer), id)
        case .sharedSubscriptionAvailable: try Self.setOnce(&self.sharedSubscriptionAvailable, try Self.byte(&buffer), id)
        }
    }

    private static func setOnce<T>(_ slot: inout T?, _ value: T, _ id: Identifier) throws(MQTTError) {
        guard slot == nil else { throw MQTTError(.protocolError, "property \(id) appears twice") }
        slot = value
    }

    private static func byte(_ buffer: inout ByteBuffer) throws(MQTTError) -> UInt8 {
        guard let value = buffer.readInteger(as: UInt8.self) else { throw .malformed("truncated property") }
        return value
    }

    private static func uint16(_ buffer: inout ByteBuffer) throws(MQTTError) -> UInt16 {
        guard let value = buffer.readInteger(as: UInt16.self) else { throw .malformed("truncated property") }
        return value
    }

    private static func uint32(_ buffer: inout ByteBuffer) throws(MQTTError) -> UInt32 {
        guard let value = buffer.readInteger(as: UInt32.self) else { throw .malformed("truncated property") }
        return value
    }
}

// MARK: - Encoding

extension MQTTProperties {
    /// Writes the property length and the properties.
    func write(to buffer: inout ByteBuffer) {
        if self.isEmpty {
            buffer.writeInteger(UInt8(0))
            return
        }
        var body = ByteBuffer()
        self.writeBody(to: &body)
        buffer.writeMQTTVariableByteInteger(body.readableBytes)
        buffer.writeImmutableBuffer(body)
    }

    private func writeBody(to buffer: inout ByteBuffer) {
        func id(_ identifier: Identifier) { buffer.writeInteger(identifier.rawValue) }
        if let value = self.payloadFormatIndicator { id(.payloadFormatIndicator); buffer.writeInteger(value) }
        if let value = self.messageExpiryInterval { id(.messageExpiryInterval); buffer.writeInteger(value) }
        if let value = self.contentType { id(.contentType); buffer.writeMQTTString(value) }
        if let value = self.responseTopic { id(.responseTopic); buffer.writeMQTTString(value) }
        if let value = self.correlationData { id(.correlationData); buffer.writeMQTTBinary(value) }
        for value in self.subscriptionIdentifiers {
            id(.subscriptionIdentifier)
            buffer.writeMQTTVariableByteInteger(Int(value))
        }
        if let value = self.sessionExpiryInterval { id(.sessionExpiryInterval); buffer.writeInteger(value) }
        if let value = self.assignedClientIdentifier { id(.assignedClientIdentifier); buffer.writeMQTTString(value) }
        if let value = self.serverKeepAlive { id(.serverKeepAlive); buffer.writeInteger(value) }
        if let value = self.authenticationMethod { id(.authenticationMethod); buffer.writeMQTTString(value) }
        if let value = self.authenticationData { id(.authenticationData); buffer.writeMQTTBinary(value) }
        if let value = self.requestProblemInformation { id(.requestProblemInformation); buffer.writeInteger(value) }
        if let value = self.willDelayInterval { id(.willDelayInterval); buffer.writeInteger(value) }
        if let value = self.requestResponseInformation { id(.requestResponseInformation); buffer.writeInteger(value) }
        if let value = self.responseInformation { id(.responseInformation); buffer.writeMQTTString(value) }
        if let value = self.serverReference { id(.serverReference); buffer.writeMQTTString(value) }
        if let value = self.reasonString { id(.reasonString); buffer.writeMQTTString(value) }
        if let value = self.receiveMaximum { id(.receiveMaximum); buffer.writeInteger(value) }
        if let value = self.topicAliasMaximum { id(.topicAliasMaximum); buffer.writeInteger(value) }
        if let value = self.topicAlias { id(.topicAlias); buffer.writeInteger(value) }
        if let value = self.maximumQoS { id(.maximumQoS); buffer.writeInteger(value) }
        if let value = self.retainAvailable { id(.retainAvailable); buffer.writeInteger(value) }
        for property in self.userProperties {
            id(.userProperty)
            buffer.writeMQTTString(property.name)
            buffer.writeMQTTString(property.value)
        }
        if let value = self.maximumPacketSize { id(.maximumPacketSize); buffer.writeInteger(value) }
        if let value = self.wildcardSubscriptionAvailable { id(.wildcardSubscriptionAvailable); buffer.writeInteger(value) }
        if let value = self.subscriptionIdentifierAvailable { id(.subscriptionIdentifierAvailable); buffer.writeInteger(value) }
        if let value = self.sharedSubscriptionAvailable { id(.sharedSubscriptionAvailable); buffer.writeInteger(value) }
    }
}
