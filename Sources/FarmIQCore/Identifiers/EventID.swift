/// Generates event ids in canonical lower-case text form: UUID version 7 (time-ordered, what the edge makes), or
/// version 4 (random, which devices may send: `contracts.md` §1).
public enum EventID {
    /// A UUIDv7 (RFC 9562) for `time` (its milliseconds since the Unix epoch, negative clamped to 0) and 74 random
    /// bits from `generator`; ids of later milliseconds sort after earlier ones.
    public static func v7<G: RandomNumberGenerator>(at time: Timestamp = .now(), using generator: inout G) -> String {
        var bytes = randomBytes(using: &generator)
        let ms = UInt64(max(0, time.millisecondsSinceEpoch))
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: ms >> (8 * (5 - UInt64(i)))) }
        return format(bytes, version: 7)
    }

    /// ``v7(at:using:)`` with the system's CSPRNG (`SystemRandomNumberGenerator`).
    public static func v7(at time: Timestamp = .now()) -> String {
        var generator = SystemRandomNumberGenerator()
        return v7(at: time, using: &generator)
    }

    /// A UUIDv4 (RFC 9562): 122 random bits from `generator`.
    public static func v4<G: RandomNumberGenerator>(using generator: inout G) -> String {
        format(randomBytes(using: &generator), version: 4)
    }

    /// 16 bytes from two draws of `generator`, each little-endian.
    private static func randomBytes<G: RandomNumberGenerator>(using generator: inout G) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 16)
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        for i in 0..<8 { bytes[i] = UInt8(truncatingIfNeeded: high >> (8 * UInt64(i))) }
        for i in 8..<16 { bytes[i] = UInt8(truncatingIfNeeded: low >> (8 * UInt64(i - 8))) }
        return bytes
    }

    /// The canonical text of `bytes` with the version nibble and the RFC 9562 variant bits set.
    private static func format(_ bytes: [UInt8], version: UInt8) -> String {
        var bytes = bytes
        bytes[6] = (bytes[6] & 0x0F) | (version << 4)
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return format(bytes)
    }

    static func format(_ bytes: [UInt8]) -> String {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
