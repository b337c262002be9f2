import Testing
@testable import FarmIQCore

/// Random and mutated inputs must never trap the parser or the validator, and whatever parses must
/// survive a write/parse round trip unchanged.
@Suite("Fuzz: parser and validator never trap")
struct JSONFuzzTests {
    static let alphabet = Array(#"{}[]":,.-+eE0123456789 \truenfalsnul\/bfu"#.utf8) + [0x00, 0x0A, 0x7F, 0x80, 0xC3, 0xA9, 0xED, 0xFF]

    static func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            switch Int.random(in: 0..<6, using: &rng) {
            case 0 where !bytes.isEmpty: // flip a bit
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[i] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            case 1: // insert a structural or odd byte
                let i = Int.random(in: 0...bytes.count, using: &rng)
                bytes.insert(alphabet.randomElement(using: &rng)!, at: i)
            case 2 where !bytes.isEmpty: // delete a range
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                let j = min(bytes.count, i + Int.random(in: 1...8, using: &rng))
                bytes.removeSubrange(i..<j)
            case 3 where !bytes.isEmpty: // duplicate a range
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                let j = min(bytes.count, i + Int.random(in: 1...16, using: &rng))
                bytes.insert(contentsOf: bytes[i..<j], at: j)
            case 4 where !bytes.isEmpty: // truncate
                bytes.removeLast(Int.random(in: 1...min(bytes.count, 8), using: &rng))
            default: // overwrite with a random byte
                if !bytes.isEmpty { bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            }
        }
        return bytes
    }

    static func check(_ input: [UInt8], topic: String, validator: EnvelopeValidator) -> (parsed: Bool, accepted: Bool) {
        var parsed = false
        if let value = try? JSONParser.parse(input) {
            parsed = true
            let written = JSONWriter.write(value)
            let again = try? JSONParser.parse(written)
            #expect(again == value, "round trip changed \(String(decoding: input, as: UTF8.self))")
        }
        switch validator.validate(topic: topic, payload: input, receivedAt: Fixture.receivedAt) {
        case .success(let message):
            let outbox = switch message {
            case .telemetry(let telemetry): OutboxEvent(telemetry)
            case .event(let event): OutboxEvent(event)
            }
            #expect((try? JSONParser.parse(outbox.body)) != nil, "outbox body is not JSON: \(outbox.body)")
            return (parsed, true)
        case .failure:
            return (parsed, false)
        }
    }

    @Test("20,000 random byte strings and mutations of valid envelopes")
    func fuzz() {
        var rng = SplitMix64(seed: 0x5EED_FA12)
        let validator = EnvelopeValidator()
        let seeds: [(String, [UInt8])] = [
            (Fixture.telemetryTopic, Array(Fixture.envelope().utf8)),
            (Fixture.eventTopic, Array(Fixture.envelope("device.status", payload: #"{"status":"online","fw":{"v":[1,2.5e3,"é"]}}"#).utf8)),
            (Fixture.eventTopic, Array(Fixture.envelope(
                "weighvision.weight.reading",
                payload: #"{"session_id":"\#(Fixture.sessionID)","seq":3,"weight_kg":2.314,"stable":true}"#).utf8)),
            (Fixture.eventTopic, Array(Fixture.envelope("x.y", payload: #"{"s":"\ud83d\ude00\n\"","n":[-0.0,1E+2]}"#).utf8)),
        ]
        var parsedCount = 0
        var acceptedCount = 0
        for iteration in 0..<20_000 {
            let topic: String
            let input: [UInt8]
            if iteration % 4 == 0 {
                topic = Fixture.telemetryTopic
                input = (0..<Int.random(in: 0...96, using: &rng)).map { _ in
                    Bool.random(using: &rng) ? UInt8.random(in: 0...255, using: &rng) : JSONFuzzTests.alphabet.randomElement(using: &rng)!
                }
            } else {
                let seed = seeds[iteration % seeds.count]
                topic = seed.0
                input = JSONFuzzTests.mutate(seed.1, &rng)
            }
            let result = JSONFuzzTests.check(input, topic: topic, validator: validator)
            if result.parsed { parsedCount += 1 }
            if result.accepted { acceptedCount += 1 }
        }
        // The mutations must exercise both sides, or the fuzz proves little.
        #expect(parsedCount > 500)
        #expect(acceptedCount > 100)
    }

    @Test("the unmutated seeds are valid")
    func seedsValid() {
        #expect(Fixture.reason(Fixture.telemetryTopic, Fixture.envelope()) == nil)
    }
}
