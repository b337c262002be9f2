import NIOCore

extension ByteBuffer {
    /// Reads an MQTT Variable Byte Integer (1 to 4 bytes, at most 268,435,455).
    mutating func readMQTTVariableByteInteger() throws(MQTTError) -> Int {
        switch Self.peekMQTTVariableByteInteger(self, at: self.readerIndex) {
        case .value(let value, let length):
            self.moveReaderIndex(forwardBy: length)
            return value
        case .needMoreBytes:
            throw .malformed("truncated variable byte integer")
        case .invalid:
            throw .malformed("variable byte integer longer than 4 bytes")
        }
    }

    enum VariableByteIntegerPeek {
        case value(Int, length: Int)
        case needMoreBytes
        case invalid
    }

    /// Peeks at a Variable Byte Integer starting at `index` without moving the reader index.
    static func peekMQTTVariableByteInteger(_ buffer: ByteBuffer, at index: Int) -> VariableByteIntegerPeek {
        var value = 0
        var multiplier = 1
        for offset in 0..<4 {
            guard let byte = buffer.getInteger(at: index + offset, as: UInt8.self) else { return .needMoreBytes }
            value += Int(byte & 0x7F) * multiplier
            if byte & 0x80 == 0 {
                // Non-minimal encodings (e.g. 0x80 0x00) are accepted: the value stays bounded.
                return .value(value, length: offset + 1)
            }
            multiplier *= 128
        }
        return .invalid
    }

    /// Writes an MQTT Variable Byte Integer. `value` must be in 0...268,435,455.
    @discardableResult
    mutating func writeMQTTVariableByteInteger(_ value: Int) -> Int {
        var remaining = value
        var written = 0
        repeat {
            var byte = UInt8(truncatingIfNeeded: remaining & 0x7F)
            remaining >>= 7
            if remaining > 0 { byte |= 0x80 }
            self.writeInteger(byte)
            written += 1
        } while remaining > 0
        return written
    }

    /// The number of bytes the Variable Byte Integer encoding of `value` takes.
    static func mqttVariableByteIntegerLength(_ value: Int) -> Int {
        switch value {
        case ..<128: return 1
        case ..<16_384: return 2
        case ..<2_097_152: return 3
        default: return 4
        }
    }

    /// Reads a length-prefixed UTF-8 string, validating the UTF-8 and rejecting U+0000.
    mutating func readMQTTString() throws(MQTTError) -> String {
        guard let length = self.readInteger(as: UInt16.self) else { throw .malformed("truncated string length") }
        guard let string = try self.readMQTTValidatedString(length: Int(length)) else {
            throw .malformed("string length \(length) exceeds the packet")
        }
        return string
    }

    /// Reads `length` bytes as a validated UTF-8 string, or returns nil when fewer bytes are readable.
    mutating func readMQTTValidatedString(length: Int) throws(MQTTError) -> String? {
        guard self.readableBytes >= length else { return nil }
        let valid = self.withUnsafeReadableBytes { MQTTUTF8.isValidMQTTString(UnsafeRawBufferPointer(rebasing: $0.prefix(length))) }
        guard valid else { throw .malformed("invalid UTF-8 string") }
        return self.readString(length: length)
    }

    /// Reads length-prefixed binary data as a slice.
    mutating func readMQTTBinary() throws(MQTTError) -> ByteBuffer {
        guard let length = self.readInteger(as: UInt16.self) else { throw .malformed("truncated binary length") }
        guard let slice = self.readSlice(length: Int(length)) else {
            throw .malformed("binary length \(length) exceeds the packet")
        }
        return slice
    }

    /// Writes a length-prefixed UTF-8 string (the caller ensures it is at most 65,535 bytes).
    mutating func writeMQTTString(_ string: String) {
        let lengthIndex = self.writerIndex
        self.writeInteger(UInt16(0))
        let written = self.writeString(string)
        self.setInteger(UInt16(truncatingIfNeeded: written), at: lengthIndex)
    }

    /// Writes length-prefixed binary data.
    mutating func writeMQTTBinary(_ bytes: ByteBuffer) {
        self.writeInteger(UInt16(truncatingIfNeeded: bytes.readableBytes))
        self.writeImmutableBuffer(bytes)
    }

    /// Writes length-prefixed binary data.
    mutating func writeMQTTBinary(_ bytes: [UInt8]) {
        self.writeInteger(UInt16(truncatingIfNeeded: bytes.count))
        self.writeBytes(bytes)
    }
}

/// UTF-8 validation as MQTT requires it: well-formed UTF-8 (no overlong forms, no surrogates,
/// nothing above U+10FFFF) and no U+0000.
enum MQTTUTF8 {
    static func isValidMQTTString(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if byte < 0x80 {
                if byte == 0 { return false }
                index += 1
                continue
            }
            let length: Int
            var scalar: UInt32
            switch byte {
            case 0xC2...0xDF: length = 2; scalar = UInt32(byte & 0x1F)
            case 0xE0...0xEF: length = 3; scalar = UInt32(byte & 0x0F)
            case 0xF0...0xF4: length = 4; scalar = UInt32(byte & 0x07)
            default: return false
            }
            guard index + length <= count else { return false }
            for offset in 1..<length {
                let continuation = bytes[index + offset]
                guard continuation & 0xC0 == 0x80 else { return false }
                scalar = (scalar << 6) | UInt32(continuation & 0x3F)
            }
            switch length {
            case 3 where scalar < 0x800 || (0xD800...0xDFFF).contains(scalar): return false
            case 4 where scalar < 0x10000 || scalar > 0x10FFFF: return false
            default: break
            }
            index += length
        }
        return true
    }

    static func isValidMQTTString(_ string: String) -> Bool {
        // Swift strings are valid Unicode; only U+0000 is left to exclude.
        !string.utf8.contains(0)
    }
}

/// Topic name and topic filter rules (MQTT 4.7).
enum MQTTTopic {
    /// A topic name for PUBLISH: 1...65535 bytes, no wildcards, no U+0000.
    static func validateName(_ topic: String) throws(MQTTError) {
        let utf8 = topic.utf8
        guard !utf8.isEmpty else { throw MQTTError(.invalidTopic, "empty topic name") }
        guard utf8.count <= 65_535 else { throw MQTTError(.invalidTopic, "topic name longer than 65535 bytes") }
        for byte in utf8 where byte == UInt8(ascii: "+") || byte == UInt8(ascii: "#") || byte == 0 {
            throw MQTTError(.invalidTopic, "topic name contains a wildcard or NUL")
        }
    }

    /// A topic filter for SUBSCRIBE: wildcards only as whole levels, `#` only last; shared
    /// subscriptions need a non-empty group without wildcards and a filter.
    static func validateFilter(_ filter: String) throws(MQTTError) {
        let utf8 = Array(filter.utf8)
        guard !utf8.isEmpty else { throw MQTTError(.invalidTopic, "empty topic filter") }
        guard utf8.count <= 65_535 else { throw MQTTError(.invalidTopic, "topic filter longer than 65535 bytes") }
        guard !utf8.contains(0) else { throw MQTTError(.invalidTopic, "topic filter contains NUL") }
        let levels = utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        var filterLevels = levels[...]
        if levels.first.map({ Array($0) == Array("$share".utf8) }) == true {
            guard levels.count >= 3, let group = levels.dropFirst().first, !group.isEmpty,
                  !group.contains(UInt8(ascii: "+")), !group.contains(UInt8(ascii: "#"))
            else { throw MQTTError(.invalidTopic, "invalid shared subscription '\(filter)'") }
            filterLevels = levels.dropFirst(2)
        }
        for (position, level) in zip(filterLevels.indices, filterLevels) {
            if level.contains(UInt8(ascii: "#")) {
                guard level.count == 1, position == filterLevels.index(before: filterLevels.endIndex) else {
                    throw MQTTError(.invalidTopic, "'#' must be the last whole level in '\(filter)'")
                }
            }
            if level.contains(UInt8(ascii: "+")), level.count != 1 {
                throw MQTTError(.invalidTopic, "'+' must be a whole level in '\(filter)'")
            }
        }
    }
}
