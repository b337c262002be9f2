/// Validation of the identifiers fixed by `contracts.md` §1.
///
/// Every id from outside goes through here before it reaches a file path, a topic, a query or a log line.
public enum Identifier {
    /// `tenant_id`, `farm_id`, `barn_id`, `device_id`, `station_id`: 1–64 chars of `[A-Za-z0-9_-]`.
    public static func isValidName(_ value: some StringProtocol) -> Bool {
        isValidName(value.utf8)
    }

    /// ``isValidName(_:)`` of UTF-8 bytes.
    public static func isValidName(_ utf8: some Collection<UInt8>) -> Bool {
        guard !utf8.isEmpty, utf8.count <= 64 else { return false }
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
                continue
            default:
                return false
            }
        }
        return true
    }

    /// `event_id`, `session_id`, `media_id`, `batch_id`: a UUID in canonical lower-case text form.
    /// Any version is accepted so long as the text is canonical (v4 and v7 are what devices send).
    public static func isValidUUID(_ value: some StringProtocol) -> Bool {
        let utf8 = value.utf8
        guard utf8.count == 36 else { return false }
        for (offset, byte) in utf8.enumerated() {
            switch offset {
            case 8, 13, 18, 23:
                guard byte == UInt8(ascii: "-") else { return false }
            default:
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"): continue
                default: return false
                }
            }
        }
        return true
    }

    /// Metric names: `^[a-z][a-z0-9_.]{0,63}$`.
    public static func isValidMetricName(_ value: some StringProtocol) -> Bool {
        let utf8 = value.utf8
        guard let first = utf8.first, utf8.count <= 64, first >= UInt8(ascii: "a"), first <= UInt8(ascii: "z") else {
            return false
        }
        for byte in utf8.dropFirst() {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."):
                continue
            default:
                return false
            }
        }
        return true
    }

    /// Event types: dot-separated lower-case words, at least two (`a.b`), at most 64 chars.
    public static func isValidEventType(_ value: some StringProtocol) -> Bool {
        let utf8 = value.utf8
        guard utf8.count >= 3, utf8.count <= 64 else { return false }
        var segmentLength = 0
        var segments = 1
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"):
                segmentLength += 1
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
                guard segmentLength > 0 else { return false }
                segmentLength += 1
            case UInt8(ascii: "."):
                guard segmentLength > 0 else { return false }
                segments += 1
                segmentLength = 0
            default:
                return false
            }
        }
        return segments >= 2 && segmentLength > 0
    }

    /// W3C trace-context trace-id: 32 lower-case hex digits, not all zero.
    public static func isValidTraceID(_ value: some StringProtocol) -> Bool {
        let utf8 = value.utf8
        guard utf8.count == 32 else { return false }
        var allZero = true
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "0"): continue
            case UInt8(ascii: "1")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"): allZero = false
            default: return false
            }
        }
        return !allZero
    }
}
