import Testing
@testable import FarmIQCore

@Suite("EventID (UUID v7)")
struct EventIDTests {
    @Test("v7 ids are canonical, carry version 7 and variant 10, and start with the timestamp")
    func v7() {
        var rng = SplitMix64(seed: 7)
        let at = Timestamp(millisecondsSinceEpoch: 0x0193_A3C1_7B2E)
        var seen = Set<String>()
        for _ in 0..<1000 {
            let id = EventID.v7(at: at, using: &rng)
            #expect(Identifier.isValidUUID(id))
            let chars = Array(id)
            #expect(String(chars[0..<13]) == "0193a3c1-7b2e")
            #expect(chars[14] == "7")
            #expect("89ab".contains(chars[19]))
            seen.insert(id)
        }
        #expect(seen.count == 1000)
        #expect(Identifier.isValidUUID(EventID.v7()))
    }

    @Test("ids are ordered by time")
    func ordered() {
        var rng = SplitMix64(seed: 1)
        let earlier = EventID.v7(at: Timestamp(millisecondsSinceEpoch: 1_000), using: &rng)
        let later = EventID.v7(at: Timestamp(millisecondsSinceEpoch: 2_000), using: &rng)
        #expect(earlier < later)
    }
}

@Suite("EventID (UUID v4)")
struct EventIDVersion4Tests {
    @Test("version 4 and the RFC 9562 variant, valid to the validator, distinct")
    func shape() {
        var rng = SplitMix64(seed: 44)
        var seen = Set<String>()
        for _ in 0..<1000 {
            let id = EventID.v4(using: &rng)
            let bytes = Array(id.utf8)
            #expect(bytes.count == 36)
            #expect(bytes[14] == UInt8(ascii: "4"))
            #expect([UInt8(ascii: "8"), UInt8(ascii: "9"), UInt8(ascii: "a"), UInt8(ascii: "b")].contains(bytes[19]))
            #expect(Identifier.isValidUUID(id))
            seen.insert(id)
        }
        #expect(seen.count == 1000)
    }
}
