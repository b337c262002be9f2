/// Compact JSON text built as UTF-8 bytes and made a `String` once at the end.
///
/// For text built per message (the outbox body, the raw readings column): appending pieces to a `String`
/// re-checks its capacity and ASCII flags on every append, which `perf` of `farmiq-edge bench ingest` put at about
/// half of building a body. ``JSONWriter/writeString(_:into:)`` escapes through ``string(_:)`` too.
package struct JSONTextBuilder {
    private var bytes: [UInt8] = []

    /// An empty builder with room for `capacity` bytes.
    package init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    /// Appends JSON text as it is (not escaped: the caller's text must already be JSON).
    package mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Appends JSON text as it is (not escaped: the caller's text must already be JSON).
    package mutating func raw(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// Appends `value` as a JSON string literal: `"`, `\`, `\n`, `\r`, `\t` escaped by name, other control
    /// characters as `\u00xx` (lower-case hex), everything else as its UTF-8 bytes.
    package mutating func string(_ value: String) {
        var value = value
        bytes.append(UInt8(ascii: "\""))
        value.withUTF8 { utf8 in
            var plainFrom = 0
            for (offset, byte) in utf8.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[plainFrom..<offset]))
                plainFrom = offset + 1
                switch byte {
                case 0x22: raw("\\\"")
                case 0x5C: raw("\\\\")
                case 0x0A: raw("\\n")
                case 0x0D: raw("\\r")
                case 0x09: raw("\\t")
                default:
                    let hex: StaticString = "0123456789abcdef"
                    raw("\\u00")
                    hex.withUTF8Buffer { digits in
                        bytes.append(digits[Int(byte >> 4)])
                        bytes.append(digits[Int(byte & 0x0F)])
                    }
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[plainFrom...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends an integer in decimal.
    package mutating func integer(_ value: Int) {
        raw(String(value))
    }

    /// The text built so far.
    package var text: String {
        String(decoding: bytes, as: UTF8.self)
    }
}
