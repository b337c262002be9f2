import Foundation
import Testing
@testable import SyncForwarder

/// The response classification and retry logic, without I/O.
@Suite("Sync state machine")
struct SyncStateMachineTests {
    /// SplitMix64: deterministic, and never stuck in `random(in:)`'s rejection loop (a constant generator is).
    struct SeededRandom: RandomNumberGenerator {
        var state: UInt64 = 42
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    func machine() -> SyncStateMachine {
        SyncStateMachine(batchesInFlight: 4, backoffBase: .milliseconds(500), backoffCap: .seconds(30),
                         maximumRetryAfter: .seconds(300), unauthorizedRetryInterval: .seconds(60))
    }

    @Test func classifiesEveryResponseClass() {
        let ids = ["a", "b", "c"]
        let ok = Array(#"{"results":[{"event_id":"a","status":"accepted"},{"event_id":"b","status":"duplicate"},{"event_id":"c","status":"rejected","reason":"unknown type"}]}"#.utf8)
        #expect(CloudResponse.classify(status: 200, retryAfter: nil, body: ok, eventIDs: ids)
                == .delivered(accepted: 1, duplicates: 1, rejected: ["c": "unknown type"]))
        let missing = Array(#"{"results":[{"event_id":"a","status":"accepted"}]}"#.utf8)
        guard case .retryable = CloudResponse.classify(status: 200, retryAfter: nil, body: missing, eventIDs: ids) else {
            Issue.record("a 200 without every result must be retried"); return
        }
        guard case .retryable = CloudResponse.classify(status: 200, retryAfter: nil, body: Array("<html>".utf8), eventIDs: ids) else {
            Issue.record("a 200 that is not JSON must be retried"); return
        }
        #expect(CloudResponse.classify(status: 429, retryAfter: "2", body: [], eventIDs: ids) == .retryable(reason: "HTTP 429", retryAfter: .seconds(2)))
        #expect(CloudResponse.classify(status: 503, retryAfter: nil, body: [], eventIDs: ids) == .retryable(reason: "HTTP 503", retryAfter: nil))
        #expect(CloudResponse.classify(status: 401, retryAfter: nil, body: [], eventIDs: ids) == .unauthorized(status: 401))
        #expect(CloudResponse.classify(status: 403, retryAfter: nil, body: [], eventIDs: ids) == .unauthorized(status: 403))
    }

    @Test func parsesRetryAfterSecondsAndDates() {
        let now = Date(timeIntervalSince1970: 1_796_000_000)
        #expect(CloudResponse.parseRetryAfter("120", now: now) == .seconds(120))
        #expect(CloudResponse.parseRetryAfter(" 0 ", now: now) == .seconds(0))
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let inTen = formatter.string(from: now.addingTimeInterval(10))
        #expect(CloudResponse.parseRetryAfter(inTen, now: now) == .seconds(10))
        #expect(CloudResponse.parseRetryAfter(formatter.string(from: now.addingTimeInterval(-10)), now: now) == .zero)
        #expect(CloudResponse.parseRetryAfter("soon", now: now) == nil)
        #expect(CloudResponse.parseRetryAfter("-5", now: now) == nil)
    }

    @Test func backsOffExponentiallyWithCapThenDrainsAtFullSpeed() {
        var sm = machine()
        var random = SeededRandom()
        var ceilings: [Duration] = []
        for _ in 0..<10 {
            let ceiling = sm.backoff.currentCeiling
            guard case .retry(let after, _) = sm.received(.retryable(reason: "connection refused", retryAfter: nil), using: &random) else {
                Issue.record("expected retry"); return
            }
            #expect(after >= .zero && after <= ceiling)
            ceilings.append(ceiling)
        }
        // Full jitter below a ceiling of 0.5, 1, 2, 4, 8, 16 s, then the 30 s cap.
        #expect(ceilings == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(30), .seconds(30), .seconds(30), .seconds(30)])
        #expect(sm.mode == .backingOff)
        #expect(sm.allowedInFlight == 1)  // one probe while the link is down
        // The first success resets everything: all lanes, no leftover backoff.
        #expect(sm.received(.delivered(accepted: 5, duplicates: 0, rejected: [:]), using: &random) == .commit(rejected: [:]))
        #expect(sm.allowedInFlight == 4)
        #expect(sm.backoff.attempt == 0)
        #expect(sm.consecutiveFailures == 0)
    }

    @Test func jitterStaysWithinTheCeiling() {
        var sm = machine()
        var generator = SystemRandomNumberGenerator()
        for attempt in 0..<20 {
            let ceiling = sm.backoff.currentCeiling
            guard case .retry(let after, _) = sm.received(.retryable(reason: "x", retryAfter: nil), using: &generator) else { return }
            #expect(after >= .zero && after <= ceiling, "attempt \(attempt)")
            #expect(ceiling <= .seconds(30))
        }
    }

    @Test func honoursRetryAfterUpToTheMaximum() {
        var sm = machine()
        var random = SeededRandom()
        // The first backoff ceiling is 0.5 s: Retry-After wins.
        #expect(sm.received(.retryable(reason: "HTTP 429", retryAfter: .seconds(2)), using: &random) == .retry(after: .seconds(2), reason: "HTTP 429"))
        #expect(sm.received(.retryable(reason: "HTTP 429", retryAfter: .seconds(3600)), using: &random) == .retry(after: .seconds(300), reason: "HTTP 429"))
    }

    @Test func rejectedEventsAreCommittedAsDeadLetters() {
        var sm = machine()
        #expect(sm.received(.delivered(accepted: 9, duplicates: 0, rejected: ["x": "bad"])) == .commit(rejected: ["x": "bad"]))
        #expect(sm.mode == .sending)
    }

    @Test func unauthorizedStopsAndProbesSlowly() {
        var sm = machine()
        #expect(sm.received(.unauthorized(status: 401)) == .suspend(after: .seconds(60), status: 401))
        #expect(sm.mode == .unauthorized)
        #expect(sm.allowedInFlight == 1)
        #expect(sm.received(.delivered(accepted: 1, duplicates: 0, rejected: [:])) == .commit(rejected: [:]))
        #expect(sm.mode == .sending)
    }

    @Test func gzipRoundTrip() throws {
        let text = Array(String(repeating: #"{"event_id":"0193a3c1-7b2e-7c3a-9f4d-2b8e5a1c0d11"},"#, count: 1000).utf8)
        let compressed = try Gzip.compress(text)
        #expect(compressed.count < text.count / 10)
        #expect(compressed.prefix(2) == [0x1f, 0x8b])
        #expect(try Gzip.decompress(compressed) == text)
    }
}
