#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A point in time with millisecond precision, stored as milliseconds since the Unix epoch (UTC).
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z; negative before it.
    public var millisecondsSinceEpoch: Int64

    /// The instant `millisecondsSinceEpoch` milliseconds after the Unix epoch (no range check).
    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    /// Earlier instants order first.
    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }

    /// The current wall-clock time.
    public static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(millisecondsSinceEpoch: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
    }

    /// Seconds since the Unix epoch, with the milliseconds as a fraction.
    public var secondsSinceEpoch: Double { Double(millisecondsSinceEpoch) / 1000 }

    /// This instant moved by `milliseconds` (negative: earlier).
    public func adding(milliseconds: Int64) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: millisecondsSinceEpoch + milliseconds)
    }

    /// RFC 3339 in UTC with milliseconds: `2026-11-29T04:48:42.123Z`.
    public var description: String { rfc3339 }

    /// RFC 3339 in UTC with milliseconds: `2026-11-29T04:48:42.123Z` (also ``description``), always 24 bytes.
    ///
    /// Written digit by digit into the string's own storage: this runs for every message the edge stores
    /// (the outbox body), and the interpolated form cost seven small strings per call.
    public var rfc3339: String {
        let (days, msOfDay) = millisecondsSinceEpoch.floorDivided(by: 86_400_000)
        let (year, month, day) = Timestamp.civil(fromDays: days)
        guard (0...9999).contains(year) else {
            // Outside four-digit years (no validated input gets here): the unpadded year.
            let ms = msOfDay
            return "\(year)-\(pad(month, 2))-\(pad(day, 2))T\(pad(ms / 3_600_000, 2)):\(pad(ms / 60_000 % 60, 2)):\(pad(ms / 1000 % 60, 2)).\(pad(ms % 1000, 3))Z"
        }
        return String(unsafeUninitializedCapacity: 24) { buffer in
            var at = 0
            func put(_ value: Int, _ width: Int) {
                var value = value
                for offset in stride(from: width - 1, through: 0, by: -1) {
                    buffer[at + offset] = UInt8(truncatingIfNeeded: 48 + value % 10)
                    value /= 10
                }
                at += width
            }
            func put(_ byte: Character) {
                buffer[at] = byte.asciiValue!
                at += 1
            }
            let ms = Int(msOfDay)
            put(year, 4); put("-"); put(month, 2); put("-"); put(day, 2); put("T")
            put(ms / 3_600_000, 2); put(":"); put(ms / 60_000 % 60, 2); put(":"); put(ms / 1000 % 60, 2); put(".")
            put(ms % 1000, 3); put("Z")
            return at
        }
    }

    /// Compact UTC form used in media file names: `YYYYMMDDTHHMMSSmmmZ`.
    public var compactUTC: String {
        let (days, msOfDay) = millisecondsSinceEpoch.floorDivided(by: 86_400_000)
        let (year, month, day) = Timestamp.civil(fromDays: days)
        return "\(pad(year, 4))\(pad(month, 2))\(pad(day, 2))T\(pad(msOfDay / 3_600_000, 2))\(pad(msOfDay / 60_000 % 60, 2))\(pad(msOfDay / 1000 % 60, 2))\(pad(msOfDay % 1000, 3))Z"
    }

    /// Parses RFC 3339 (`Z` or `±hh:mm` offset, optional fraction, `T` or `t` or space separator).
    /// Fractions beyond milliseconds are truncated. Years 1970–9999 only: device clocks outside
    /// that range are wrong and the message is rejected.
    public init?(rfc3339 text: some StringProtocol) {
        guard let parsed = Array(text.utf8).withUnsafeBufferPointer({ Timestamp(rfc3339Bytes: $0) }) else { return nil }
        self = parsed
    }

    /// ``init(rfc3339:)`` over UTF-8 bytes (no string made: the gateway's fast path reads them from the payload).
    public init?(rfc3339Bytes b: UnsafeBufferPointer<UInt8>) {
        guard b.count >= 20, b.count <= 40 else { return nil }
        func digits(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= b.count else { return nil }
            var value = 0
            for i in start..<(start + count) {
                let d = Int(b[i]) - 48
                guard d >= 0, d <= 9 else { return nil }
                value = value * 10 + d
            }
            return value
        }
        guard let year = digits(0, 4), b[4] == UInt8(ascii: "-"), let month = digits(5, 2), b[7] == UInt8(ascii: "-"),
            let day = digits(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " "),
            let hour = digits(11, 2), b[13] == UInt8(ascii: ":"), let minute = digits(14, 2), b[16] == UInt8(ascii: ":"),
            let second = digits(17, 2)
        else { return nil }
        guard year >= 1970, (1...12).contains(month), day >= 1, day <= Timestamp.daysIn(month: month, year: year),
            hour <= 23, minute <= 59, second <= 60
        else { return nil }
        var i = 19
        var millis = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var count = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if count < 3 { millis = millis * 10 + Int(b[i] - 48) }
                count += 1
                i += 1
            }
            guard count >= 1, count <= 9 else { return nil }
            for _ in count..<max(count, 3) { millis *= 10 }
        }
        guard i < b.count else { return nil }
        var offsetMinutes = 0
        switch b[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            guard let oh = digits(i + 1, 2), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"), let om = digits(i + 4, 2),
                oh <= 23, om <= 59
            else { return nil }
            offsetMinutes = sign * (oh * 60 + om)
            i += 6
        default:
            return nil
        }
        guard i == b.count else { return nil }
        let days = Timestamp.days(fromCivil: year, month, day)
        let secondsOfDay = hour * 3600 + minute * 60 + min(second, 59)
        let ms = (Int64(days) * 86_400 + Int64(secondsOfDay) - Int64(offsetMinutes) * 60) * 1000 + Int64(millis)
        // The range holds in UTC too: an offset must not move the instant before 1970 or past 9999.
        guard ms >= 0, ms <= Timestamp.maxMilliseconds else { return nil }
        self.millisecondsSinceEpoch = ms
    }

    /// 9999-12-31T23:59:59.999Z, the last instant with a four-digit year.
    static let maxMilliseconds: Int64 = 253_402_300_799_999

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays days: Int64) -> (Int, Int, Int) {
        let z = Int(days) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

private func pad(_ value: some BinaryInteger, _ width: Int) -> String {
    let text = String(value)
    return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
}

extension Int64 {
    /// Floor division and non-negative remainder.
    func floorDivided(by divisor: Int64) -> (Int64, Int64) {
        let q = self / divisor
        let r = self % divisor
        return r < 0 ? (q - 1, r + divisor) : (q, r)
    }
}
