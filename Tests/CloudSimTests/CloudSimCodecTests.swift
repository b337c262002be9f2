import Crypto
@testable import CloudSim
import FarmIQCore
import Testing

@Suite("cloud-sim codecs")
struct CloudSimCodecTests {
    /// The hex form of the `Content-SHA256` check (the hashing itself is swift-crypto's).
    @Test func sha256KnownVectors() {
        #expect(SHA256.hexDigest([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hexDigest(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hexDigest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(SHA256.hexDigest(million) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func gzipRoundTripAndBounds() throws {
        let text = Array(String(repeating: "farmiq edge cloud sim ", count: 10_000).utf8)
        let compressed = Gzip.compress(text)
        #expect(compressed.count < text.count / 10)
        #expect(compressed.prefix(2) == [0x1F, 0x8B])
        #expect(try Gzip.decompress(compressed, limit: text.count) == text)
        #expect(throws: Gzip.Failure.tooLarge(limit: text.count - 1)) { try Gzip.decompress(compressed, limit: text.count - 1) }
        #expect(try Gzip.decompress(Gzip.compress([]), limit: 10) == [])
        // Concatenated members are one gzip stream.
        #expect(try Gzip.decompress(Gzip.compress([1, 2]) + Gzip.compress([3]), limit: 10) == [1, 2, 3])
        #expect(throws: Gzip.Failure.self) { try Gzip.decompress(Array(compressed.dropLast(4)), limit: text.count) }
        #expect(throws: Gzip.Failure.self) { try Gzip.decompress([0x1F, 0x8B, 0, 0], limit: 10) }
        #expect(throws: Gzip.Failure.self) { try Gzip.decompress([], limit: 10) }
    }

    @Test func faultsFromJSON() throws {
        let faults = try CloudSimFaults(json: #"""
            {"down_for_ms":1500,"down_mode":"unavailable","latency_ms":20,"error_rate":0.25,"error_status":502,
             "throttle_rate":0.5,"retry_after_seconds":9,"reset_rate":0.1,"reject_event_types":["poison.pill"],
             "fail_next":["429","5xx","reset","reset_before"]}
            """#)
        #expect(faults.downFor == .milliseconds(1500))
        #expect(faults.downMode == .unavailable)
        #expect(faults.latency == .milliseconds(20))
        #expect(faults.serverErrorRate == 0.25)
        #expect(faults.serverErrorStatus == 502)
        #expect(faults.throttleRate == 0.5)
        #expect(faults.retryAfterSeconds == 9)
        #expect(faults.resetRate == 0.1)
        #expect(faults.rejectEventTypes == ["poison.pill"])
        #expect(faults.failNext == [.throttle, .serverError, .reset, .resetBeforeProcessing])
        var roundTrip = CloudSimFaults()
        try roundTrip.apply(json: faults.json)
        #expect(roundTrip == faults)
        #expect(throws: EdgeError.self) { try CloudSimFaults(json: #"{"error_status":404}"#) }
        #expect(throws: EdgeError.self) { try CloudSimFaults(json: #"{"reject_event_types":["NOPE"]}"#) }
        #expect(throws: EdgeError.self) { try CloudSimFaults(json: "nope") }
        #expect(CloudSimFaults().isEmpty)
    }
}
