import Testing
@testable import FarmIQCore

@Suite("Timestamp parsing (RFC 3339)")
struct TimestampParsingTests {
    @Test("Z form with milliseconds")
    func zulu() throws {
        let t = try #require(Timestamp(rfc3339: "2026-11-29T04:48:42.123Z"))
        #expect(t.millisecondsSinceEpoch == 1_795_927_722_123)
        #expect(Timestamp(rfc3339: "2026-11-29T04:48:42Z")?.millisecondsSinceEpoch == 1_795_927_722_000)
        #expect(Timestamp(rfc3339: "2026-11-29t04:48:42.123z")?.millisecondsSinceEpoch == 1_795_927_722_123)
        #expect(Timestamp(rfc3339: "2026-11-29 04:48:42.123Z")?.millisecondsSinceEpoch == 1_795_927_722_123)
    }

    @Test("offsets are converted to UTC", arguments: [
        "2026-11-29T10:18:42.123+05:30",
        "2026-11-28T20:48:42.123-08:00",
        "2026-11-29T04:48:42.123+00:00",
        "2026-11-29T04:48:42.123-00:00",
        "2026-11-30T04:47:42.123+23:59",
    ])
    func offsets(_ text: String) {
        #expect(Timestamp(rfc3339: text)?.millisecondsSinceEpoch == 1_795_927_722_123)
    }

    @Test("an offset that crosses midnight and a year boundary")
    func offsetAcrossYear() {
        #expect(Timestamp(rfc3339: "2027-01-01T01:00:00+02:00")?.rfc3339 == "2026-12-31T23:00:00.000Z")
        #expect(Timestamp(rfc3339: "2026-12-31T20:00:00-05:00")?.rfc3339 == "2027-01-01T01:00:00.000Z")
    }

    @Test("fractions of 1 to 9 digits: milliseconds kept, the rest truncated", arguments: [
        ("1", 100), ("12", 120), ("123", 123), ("1234", 123), ("12345", 123), ("999999", 999), ("999999999", 999),
        ("000000001", 0), ("05", 50), ("0", 0),
    ] as [(String, Int64)])
    func fractions(_ fraction: String, _ millis: Int64) {
        #expect(Timestamp(rfc3339: "2026-11-29T04:48:42.\(fraction)Z")?.millisecondsSinceEpoch == 1_795_927_722_000 + millis)
        #expect(Timestamp(rfc3339: "2026-11-29T10:18:42.\(fraction)+05:30")?.millisecondsSinceEpoch == 1_795_927_722_000 + millis)
    }

    @Test("malformed or impossible timestamps are rejected", arguments: [
        "2026-02-30T00:00:00Z", // Feb 30
        "2026-02-29T00:00:00Z", // 2026 is not a leap year
        "2100-02-29T00:00:00Z", // century, not a leap year
        "2026-13-01T00:00:00Z", // month 13
        "2026-00-01T00:00:00Z", // month 0
        "2026-01-00T00:00:00Z", // day 0
        "2026-01-32T00:00:00Z", // day 32
        "2026-04-31T00:00:00Z", // April has 30 days
        "2026-11-29T24:00:00Z", // hour 24
        "2026-11-29T23:60:00Z", // minute 60
        "2026-11-29T23:59:61Z", // second 61
        "2026-11-29T04:48:42.Z", // empty fraction
        "2026-11-29T04:48:42.1234567890Z", // 10 fraction digits
        "2026-11-29T04:48:42", // no zone
        "2026-11-29T04:48:42.123", // no zone
        "2026-11-29", // date only
        "2026-11-29T04:48Z", // no seconds
        "2026-11-29T04:48:42+0530", // offset without colon
        "2026-11-29T04:48:42+05", // short offset
        "2026-11-29T04:48:42+24:00", // offset hour 24
        "2026-11-29T04:48:42+05:60", // offset minute 60
        "2026-11-29T04:48:42ZZ", // trailing
        "2026-11-29T04:48:42Z ", // trailing space
        " 2026-11-29T04:48:42Z", // leading space
        "26-11-29T04:48:42Z", // two-digit year
        "2026/11/29T04:48:42Z",
        "2026-11-29X04:48:42Z",
        "+2026-11-29T04:48:42Z",
        "2026-1-29T04:48:42.123Z",
        "２０２６-11-29T04:48:42Z", // full-width digits
        "1795927722",
        "",
    ])
    func rejected(_ text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test("leap years")
    func leapYears() {
        #expect(Timestamp(rfc3339: "2024-02-29T12:00:00Z")?.millisecondsSinceEpoch == 1_709_208_000_000)
        #expect(Timestamp(rfc3339: "2000-02-29T00:00:00Z") != nil)
        #expect(Timestamp(rfc3339: "2000-03-01T00:00:00Z")?.millisecondsSinceEpoch == 951_868_800_000)
        #expect(Timestamp(rfc3339: "2028-02-29T00:00:00Z") != nil)
        #expect(Timestamp(rfc3339: "2027-02-29T00:00:00Z") == nil)
    }

    @Test("a leap second is accepted and counted as :59")
    func leapSecond() {
        #expect(Timestamp(rfc3339: "2016-12-31T23:59:60Z")?.millisecondsSinceEpoch == 1_483_228_799_000)
    }

    @Test("pre-1970 instants are rejected, also when an offset moves a 1970 date before the epoch")
    func preEpoch() {
        #expect(Timestamp(rfc3339: "1970-01-01T00:00:00Z")?.millisecondsSinceEpoch == 0)
        #expect(Timestamp(rfc3339: "1969-12-31T23:59:59.999Z") == nil)
        #expect(Timestamp(rfc3339: "1900-01-01T00:00:00Z") == nil)
        #expect(Timestamp(rfc3339: "0000-01-01T00:00:00Z") == nil)
        #expect(Timestamp(rfc3339: "1970-01-01T00:30:00+01:00") == nil)
        #expect(Timestamp(rfc3339: "1970-01-01T01:00:00+01:00")?.millisecondsSinceEpoch == 0)
    }

    @Test("instants after 9999 are rejected, so the formatted form always has a 4-digit year")
    func afterYear9999() {
        #expect(Timestamp(rfc3339: "9999-12-31T23:59:59.999Z")?.millisecondsSinceEpoch == 253_402_300_799_999)
        #expect(Timestamp(rfc3339: "9999-12-31T23:00:00-05:00") == nil)
    }
}

@Suite("Timestamp formatting")
struct TimestampFormattingTests {
    static let samples: [Int64] = [
        0, 1, 999, 1000, 86_399_999, 86_400_000, 951_782_400_000, 951_868_800_000, 1_709_208_000_000,
        1_795_927_722_123, 4_102_444_800_000, 253_402_300_799_999,
    ]

    @Test("rfc3339 form")
    func rfc3339Form() {
        let t = Timestamp(millisecondsSinceEpoch: 1_795_927_722_123)
        #expect(t.rfc3339 == "2026-11-29T04:48:42.123Z")
        #expect(t.description == t.rfc3339)
        #expect(Timestamp(millisecondsSinceEpoch: 0).rfc3339 == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp(millisecondsSinceEpoch: 7).rfc3339 == "1970-01-01T00:00:00.007Z")
        #expect(Timestamp(millisecondsSinceEpoch: 1_709_208_000_000).rfc3339 == "2024-02-29T12:00:00.000Z")
        #expect(Timestamp(millisecondsSinceEpoch: 253_402_300_799_999).rfc3339 == "9999-12-31T23:59:59.999Z")
    }

    @Test("compactUTC form used in media file names")
    func compactForm() {
        #expect(Timestamp(millisecondsSinceEpoch: 1_795_927_722_123).compactUTC == "20261129T044842123Z")
        #expect(Timestamp(millisecondsSinceEpoch: 0).compactUTC == "19700101T000000000Z")
        #expect(Timestamp(millisecondsSinceEpoch: 1_709_208_000_005).compactUTC == "20240229T120000005Z")
    }

    @Test("rfc3339 and compactUTC round trip", arguments: samples)
    func roundTrip(_ ms: Int64) throws {
        let t = Timestamp(millisecondsSinceEpoch: ms)
        #expect(Timestamp(rfc3339: t.rfc3339) == t)
        let c = Array(t.compactUTC)
        try #require(c.count == 19)
        let expanded = "\(String(c[0..<4]))-\(String(c[4..<6]))-\(String(c[6..<8]))T\(String(c[9..<11])):\(String(c[11..<13])):\(String(c[13..<15])).\(String(c[15..<18]))Z"
        #expect(Timestamp(rfc3339: expanded) == t)
    }

    @Test("round trip of many pseudo-random instants")
    func randomRoundTrip() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<20_000 {
            let t = Timestamp(millisecondsSinceEpoch: Int64.random(in: 0...253_402_300_799_999, using: &rng))
            #expect(Timestamp(rfc3339: t.rfc3339) == t)
        }
    }

    @Test("civil date conversion agrees in both directions for every day 1970-2400")
    func civilDays() {
        var expected = (1970, 1, 1)
        for days in 0..<Int64(157_054) {
            let civil = Timestamp.civil(fromDays: days)
            if civil != expected {
                Issue.record("day \(days): got \(civil), expected \(expected)")
                return
            }
            #expect(Timestamp.days(fromCivil: civil.0, civil.1, civil.2) == Int(days))
            // Next calendar day.
            var (y, m, d) = expected
            d += 1
            if d > Timestamp.daysIn(month: m, year: y) { d = 1; m += 1 }
            if m > 12 { m = 1; y += 1 }
            expected = (y, m, d)
        }
    }

    @Test("ordering and arithmetic")
    func ordering() {
        let a = Timestamp(millisecondsSinceEpoch: 1000)
        #expect(a < a.adding(milliseconds: 1))
        #expect(a.adding(milliseconds: -1000).millisecondsSinceEpoch == 0)
        #expect(a.secondsSinceEpoch == 1.0)
        let now = Timestamp.now()
        #expect(now.millisecondsSinceEpoch > 1_700_000_000_000)
        #expect(Timestamp(rfc3339: now.rfc3339) == now)
    }
}

@Suite("Timestamp formatting: edges and a seeded sample")
struct TimestampFormattingSampleTests {
    @Test("before 1970 and past 9999 still format (no validated input reaches them)")
    func outsideTheValidatedRange() {
        #expect(Timestamp(millisecondsSinceEpoch: -1).rfc3339 == "1969-12-31T23:59:59.999Z")
        #expect(Timestamp(millisecondsSinceEpoch: Timestamp.maxMilliseconds + 1).rfc3339 == "10000-01-01T00:00:00.000Z")
    }

    @Test("every formatted instant is 24 bytes and parses back to itself (seeded sample over 1970–9999)")
    func roundTrip() {
        var random = SplitMix64(seed: 3339)
        for _ in 0..<20_000 {
            let ms = Int64(random.next() % UInt64(Timestamp.maxMilliseconds + 1))
            let text = Timestamp(millisecondsSinceEpoch: ms).rfc3339
            #expect(text.utf8.count == 24)
            #expect(Timestamp(rfc3339: text)?.millisecondsSinceEpoch == ms, "\(ms) → \(text)")
        }
    }
}
