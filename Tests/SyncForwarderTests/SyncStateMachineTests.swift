import FarmIQCore
import FarmIQStorage
import Foundation
import Testing
@testable import SyncForwarder

/// The forwarder's protocol, without I/O: time is made up, answers are made up.
@Suite("Sync state machine")
struct SyncStateMachineTests {
    static let t0 = ContinuousClock.now
    static func at(_ milliseconds: Int) -> ContinuousClock.Instant { t0.advanced(by: .milliseconds(milliseconds)) }
    /// A lease that never runs out in these tests.
    static let lease = at(100_000_000)

    static func rows(_ range: Range<Int>, bodyBytes: Int = 40) -> [OutboxRow] {
        range.map { n in
            OutboxRow(position: OutboxCursor(txid: 0, id: Int64(n + 1)), tenantID: "tenant-a", eventID: "e\(n)", eventType: "a.b",
                      createdAt: Timestamp(millisecondsSinceEpoch: 1_796_000_000_000), body: String(repeating: "x", count: bodyBytes))
        }
    }

    func machine(batchSize: Int = 1000, maxBatchBytes: Int = 1 << 20, inFlight: Int = 4) -> SyncStateMachine {
        SyncStateMachine(
            settings: SyncSettings(batchSize: batchSize, maxBatchBytes: maxBatchBytes, batchesInFlight: inFlight, backoffBase: .milliseconds(500),
                                   backoffCap: .seconds(30), maximumRetryAfter: .seconds(300), unauthorizedRetryInterval: .seconds(60),
                                   pollInterval: .milliseconds(200), stopGrace: .seconds(10)),
            cursor: .start, now: Self.at(0))
    }

    /// Asks for the next action at `ms`; the read it asks for is answered with `rows`.
    @discardableResult
    static func feedRead(_ sm: inout SyncStateMachine, _ rows: [OutboxRow], at ms: Int = 0) -> Bool {
        guard case .read = sm.nextAction(now: at(ms), leaseUntil: lease) else { return false }
        sm.readFinished(rows, now: at(ms))
        return true
    }

    static func nextSend(_ sm: inout SyncStateMachine, at ms: Int = 0) -> SyncBatch? {
        if case .send(let batch) = sm.nextAction(now: at(ms), leaseUntil: lease) { return batch }
        return nil
    }

    static let ok = CloudOutcome.delivered(accepted: 1, duplicates: 0, rejected: [:])

    // MARK: Classification (CloudResponse)

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
        #expect(CloudResponse.classify(status: 408, retryAfter: nil, body: [], eventIDs: ids) == .retryable(reason: "HTTP 408", retryAfter: nil))
        #expect(CloudResponse.classify(status: 401, retryAfter: nil, body: [], eventIDs: ids) == .unauthorized(status: 401))
        #expect(CloudResponse.classify(status: 403, retryAfter: nil, body: [], eventIDs: ids) == .unauthorized(status: 403))
    }

    @Test func otherClientErrorsAreRefusalsAndAnEmpty404NamesTheEndpoint() {
        let ids = ["a"]
        #expect(CloudResponse.classify(status: 413, retryAfter: nil, body: Array(#"{"error":"too large"}"#.utf8), eventIDs: ids)
                == .refused(status: 413, reason: #"HTTP 413: {"error":"too large"}"#, endpoint: false))
        #expect(CloudResponse.classify(status: 422, retryAfter: nil, body: Array("bad\r\nfield\u{7f}".utf8), eventIDs: ids)
                == .refused(status: 422, reason: "HTTP 422: bad  field", endpoint: false))
        #expect(CloudResponse.classify(status: 404, retryAfter: nil, body: [], eventIDs: ids) == .refused(status: 404, reason: "HTTP 404", endpoint: true))
        #expect(CloudResponse.classify(status: 405, retryAfter: nil, body: Array(" \n".utf8), eventIDs: ids) == .refused(status: 405, reason: "HTTP 405", endpoint: true))
        #expect(CloudResponse.classify(status: 404, retryAfter: nil, body: Array("no such tenant".utf8), eventIDs: ids)
                == .refused(status: 404, reason: "HTTP 404: no such tenant", endpoint: false))
        // The reason keeps only the first 200 bytes of the answer.
        guard case .refused(_, let reason, _) = CloudResponse.classify(status: 400, retryAfter: nil, body: Array(repeating: 0x61, count: 5000), eventIDs: ids) else {
            Issue.record("400 must be a refusal"); return
        }
        #expect(reason.utf8.count == "HTTP 400: ".utf8.count + 200)
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

    // MARK: Batches

    @Test func batchesAreBoundedByBytesAsWellAsByCount() {
        var next = 0
        // 200 events of 40,000 bytes: 26 fit under 1 MiB with the envelope; one larger than the bound travels alone.
        let big = Self.rows(0..<200, bodyBytes: 40_000)
        let batches = SyncBatch.cut(big, maxBytes: 1 << 20, nextID: &next)
        #expect(batches.allSatisfy { $0.bytes + SyncBatch.envelopeBytes <= 1 << 20 })
        #expect(batches.map(\.rows.count).reduce(0, +) == 200)
        #expect(batches.first?.rows.count == 26)
        #expect(batches.flatMap(\.rows) == big)
        let huge = Self.rows(0..<3, bodyBytes: 2 << 20)
        #expect(SyncBatch.cut(huge, maxBytes: 1 << 20, nextID: &next).map(\.rows.count) == [1, 1, 1])
        // Small events: the count bound decides.
        #expect(SyncBatch.cut(Self.rows(0..<1000), maxBytes: 1 << 20, nextID: &next).count == 1)
        // The bound holds for the body as encoded, and gzip (on by default) only shrinks it further.
        let random = (0..<30).map { n in
            OutboxRow(position: OutboxCursor(txid: 0, id: Int64(n + 1)), tenantID: "t", eventID: "r\(n)", eventType: "a.b",
                      createdAt: Timestamp(millisecondsSinceEpoch: 0),
                      body: "\"" + (0..<30_000).map { _ in String(UInt8.random(in: 0...15), radix: 16) }.joined() + "\"")
        }
        for batch in SyncBatch.cut(random, maxBytes: 1 << 20, nextID: &next) {
            let body = BatchEncoder.json(edgeID: "edge-x", batchID: batch.batchID, rows: batch.rows)
            #expect(body.count <= 1 << 20)
            let compressed = Gzip.compress(body)
            #expect(compressed.count <= body.count)
        }
    }

    // MARK: Window, lanes, prefix commit

    @Test func outOfOrderAnswersCommitOnlyTheContiguousPrefix() {
        var sm = machine(batchSize: 10)
        var random = SplitMix64(seed: 42)
        #expect(Self.feedRead(&sm, Self.rows(0..<10)))
        let first = Self.nextSend(&sm)
        #expect(Self.feedRead(&sm, Self.rows(10..<20)))
        let second = Self.nextSend(&sm)
        #expect(Self.feedRead(&sm, Self.rows(20..<30)))
        let third = Self.nextSend(&sm)
        guard let first, let second, let third else { Issue.record("three sends expected"); return }
        // The third and second answer first: nothing can be committed before the first.
        #expect(sm.sendFinished(third.id, outcome: Self.ok, now: Self.at(5), using: &random) == .delivered(parked: 0))
        #expect(sm.sendFinished(second.id, outcome: .delivered(accepted: 9, duplicates: 0, rejected: ["e15": "bad"]), now: Self.at(6), using: &random)
                == .delivered(parked: 0))
        guard case .read = sm.nextAction(now: Self.at(7), leaseUntil: Self.lease) else { Issue.record("no commit before the first answer"); return }
        sm.readFinished([], now: Self.at(7))
        #expect(sm.sendFinished(first.id, outcome: Self.ok, now: Self.at(8), using: &random) == .delivered(parked: 0))
        guard case .commit(let commit) = sm.nextAction(now: Self.at(9), leaseUntil: Self.lease) else { Issue.record("commit expected"); return }
        #expect(commit.through == OutboxCursor(txid: 0, id: 30))
        #expect(commit.batches == 3 && commit.events == 30)
        #expect(commit.rejections.map(\.row.eventID) == ["e15"] && commit.rejections.first?.reason == "bad")
        sm.commitFinished(.committed, now: Self.at(10))
        #expect(sm.windowCount == 0)
        #expect(sm.status.state == "idle")
    }

    @Test func aFailedCommitIsRetriedAndALostLeaseExits() {
        var sm = machine(batchSize: 10)
        Self.feedRead(&sm, Self.rows(0..<5))
        guard let batch = Self.nextSend(&sm) else { Issue.record("send expected"); return }
        _ = sm.sendFinished(batch.id, outcome: Self.ok, now: Self.at(1))
        guard case .commit = sm.nextAction(now: Self.at(2), leaseUntil: Self.lease) else { Issue.record("commit expected"); return }
        sm.commitFinished(.failed, now: Self.at(2))
        // Not again at once (database down): after 500 ms.
        if case .commit = sm.nextAction(now: Self.at(100), leaseUntil: Self.lease) { Issue.record("commit retried too soon") }
        guard case .commit = sm.nextAction(now: Self.at(600), leaseUntil: Self.lease) else { Issue.record("commit retry expected"); return }
        sm.commitFinished(.leaseLost, now: Self.at(600))
        #expect(sm.nextAction(now: Self.at(601), leaseUntil: Self.lease) == .exit)
    }

    @Test func noSendStartsOnALeaseAboutToRunOut() {
        var sm = machine(batchSize: 10)
        Self.feedRead(&sm, Self.rows(0..<5))
        guard case .wait = sm.nextAction(now: Self.at(0), leaseUntil: Self.at(300)) else { Issue.record("must wait for a renewal"); return }
        sm.leaseLost()
        #expect(sm.nextAction(now: Self.at(1), leaseUntil: Self.lease) == .exit)
    }

    // MARK: Backoff

    @Test func backsOffExponentiallyWithCapThenDrainsAtFullSpeed() {
        var sm = machine(batchSize: 10)
        var random = SplitMix64(seed: 42)
        Self.feedRead(&sm, Self.rows(0..<10))
        var ceilings: [Duration] = []
        var now = 0
        for _ in 0..<10 {
            let ceiling = sm.backoff.currentCeiling
            guard let batch = Self.nextSend(&sm, at: now) else { Issue.record("send expected at \(now)"); return }
            guard case .retry(let after, _) = sm.sendFinished(batch.id, outcome: .retryable(reason: "connection refused", retryAfter: nil), now: Self.at(now), using: &random) else {
                Issue.record("expected retry"); return
            }
            #expect(after >= .zero && after <= ceiling)
            ceilings.append(ceiling)
            // Nothing is sent before the wait is over.
            if after > .milliseconds(2), case .send = sm.nextAction(now: Self.at(now + 1), leaseUntil: Self.lease) { Issue.record("sent during backoff") }
            now += Int(after.milliseconds) + 1
        }
        // Full jitter below a ceiling of 0.5, 1, 2, 4, 8, 16 s, then the 30 s cap.
        #expect(ceilings == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(30), .seconds(30), .seconds(30), .seconds(30)])
        #expect(sm.mode == .backingOff)
        #expect(sm.allowedInFlight == 1)  // one probe while the link is down
        #expect(sm.status.state == "backoff")
        // The first success resets everything: all lanes, no leftover backoff.
        guard let probe = Self.nextSend(&sm, at: now) else { Issue.record("probe expected"); return }
        #expect(sm.sendFinished(probe.id, outcome: Self.ok, now: Self.at(now), using: &random) == .delivered(parked: 0))
        #expect(sm.allowedInFlight == 4)
        #expect(sm.backoff.attempt == 0)
        #expect(sm.consecutiveFailures == 0)
    }

    @Test func jitterStaysWithinTheCeiling() {
        var sm = machine(batchSize: 10)
        var generator = SystemRandomNumberGenerator()
        Self.feedRead(&sm, Self.rows(0..<10))
        var now = 0
        for attempt in 0..<20 {
            let ceiling = sm.backoff.currentCeiling
            guard let batch = Self.nextSend(&sm, at: now),
                case .retry(let after, _) = sm.sendFinished(batch.id, outcome: .retryable(reason: "x", retryAfter: nil), now: Self.at(now), using: &generator)
            else { Issue.record("retry expected"); return }
            #expect(after >= .zero && after <= ceiling, "attempt \(attempt)")
            #expect(ceiling <= .seconds(30))
            now += Int(after.milliseconds) + 1
        }
    }

    @Test func honoursRetryAfterUpToTheMaximum() {
        var sm = machine(batchSize: 10)
        var random = SplitMix64(seed: 42)
        Self.feedRead(&sm, Self.rows(0..<10))
        guard let batch = Self.nextSend(&sm) else { Issue.record("send expected"); return }
        // The first backoff ceiling is 0.5 s: Retry-After wins.
        #expect(sm.sendFinished(batch.id, outcome: .retryable(reason: "HTTP 429", retryAfter: .seconds(2)), now: Self.at(0), using: &random)
                == .retry(after: .seconds(2), reason: "HTTP 429"))
        guard case .wait(let until) = sm.nextAction(now: Self.at(1_999), leaseUntil: Self.lease) else { Issue.record("must wait out Retry-After"); return }
        #expect(until <= Self.at(2_000))
        guard let again = Self.nextSend(&sm, at: 2_000) else { Issue.record("the same batch again after 2 s"); return }
        #expect(again == batch)
        #expect(sm.sendFinished(again.id, outcome: .retryable(reason: "HTTP 429", retryAfter: .seconds(3600)), now: Self.at(2_000), using: &random)
                == .retry(after: .seconds(300), reason: "HTTP 429"))
    }

    @Test func rejectedEventsAreCommittedAsDeadLetters() {
        var sm = machine(batchSize: 10)
        Self.feedRead(&sm, Self.rows(0..<10))
        guard let batch = Self.nextSend(&sm) else { Issue.record("send expected"); return }
        #expect(sm.sendFinished(batch.id, outcome: .delivered(accepted: 9, duplicates: 0, rejected: ["e3": "bad"]), now: Self.at(1)) == .delivered(parked: 0))
        #expect(sm.mode == .sending)
        guard case .commit(let commit) = sm.nextAction(now: Self.at(2), leaseUntil: Self.lease) else { Issue.record("commit expected"); return }
        #expect(commit.rejections.map(\.reason) == ["bad"])
    }

    @Test func unauthorizedStopsAndProbesSlowly() {
        var sm = machine(batchSize: 10)
        Self.feedRead(&sm, Self.rows(0..<10))
        guard let batch = Self.nextSend(&sm) else { Issue.record("send expected"); return }
        #expect(sm.sendFinished(batch.id, outcome: .unauthorized(status: 401), now: Self.at(0)) == .suspended(after: .seconds(60), status: 401))
        #expect(sm.mode == .unauthorized)
        #expect(sm.allowedInFlight == 1)
        #expect(sm.status.state == "unauthorized")
        #expect(Self.nextSend(&sm, at: 59_999) == nil)
        guard let probe = Self.nextSend(&sm, at: 60_000) else { Issue.record("probe after 60 s"); return }
        #expect(sm.sendFinished(probe.id, outcome: Self.ok, now: Self.at(60_001)) == .delivered(parked: 0))
        #expect(sm.mode == .sending)
    }

    // MARK: Refusals (issue 10)

    /// A 413 for a batch splits it; halves are split again down to the one event the cloud refuses alone, which
    /// is parked as soon as another request sent after that refusal is accepted.
    @Test func aRefusedBatchIsBisectedAndOnlyTheRefusedEventIsParked() {
        var sm = machine(batchSize: 8, inFlight: 1)
        var random = SplitMix64(seed: 42)
        Self.feedRead(&sm, Self.rows(0..<8))
        var now = 0
        var sent = 0
        var parkedDecision = false
        // The cloud refuses any request holding e5 with 413; accepts the rest.
        while sent < 100 {
            now += 1
            let action = sm.nextAction(now: Self.at(now), leaseUntil: Self.lease)
            switch action {
            case .send(let batch):
                sent += 1
                let outcome: CloudOutcome = batch.rows.contains { $0.eventID == "e5" }
                    ? .refused(status: 413, reason: "HTTP 413: too large", endpoint: false) : .delivered(accepted: batch.rows.count, duplicates: 0, rejected: [:])
                let decision = sm.sendFinished(batch.id, outcome: outcome, now: Self.at(now), using: &random)
                if case .delivered(let parked) = decision, parked == 1 { parkedDecision = true }
            case .commit(let commit):
                sm.commitFinished(.committed, now: Self.at(now))
                if commit.through == OutboxCursor(txid: 0, id: 8) {
                    #expect(parkedDecision)
                    #expect(sm.windowCount == 0)
                    // 8 → 4+4 → 2+2 → 1+1: the refusals and the accepted halves, no batch sent unchanged twice.
                    #expect(sent <= 8, "sent \(sent)")
                    return
                }
            case .read:
                sm.readFinished([], now: Self.at(now))
            case .wait(let until):
                now = max(now, Int(Self.t0.duration(to: until).milliseconds))
            case .exit:
                Issue.record("unexpected exit"); return
            }
        }
        Issue.record("the window never drained")
    }

    @Test func aSuspectIsParkedOnlyAfterALaterAcceptedRequest() {
        var sm = machine(batchSize: 10, inFlight: 2)
        var random = SplitMix64(seed: 42)
        Self.feedRead(&sm, Self.rows(0..<1))
        guard let lone = Self.nextSend(&sm) else { Issue.record("send expected"); return }
        // Another batch was sent before the refusal arrived: its 200 proves nothing about the endpoint now.
        Self.feedRead(&sm, Self.rows(1..<5), at: 201)
        guard let earlier = Self.nextSend(&sm, at: 201) else { Issue.record("second send expected"); return }
        #expect(sm.sendFinished(lone.id, outcome: .refused(status: 422, reason: "HTTP 422: schema", endpoint: false), now: Self.at(202), using: &random)
                == .suspect(eventID: "e0", reason: "HTTP 422: schema"))
        #expect(sm.sendFinished(earlier.id, outcome: Self.ok, now: Self.at(203), using: &random) == .delivered(parked: 0))
        // Nothing committable: the suspect heads the window.
        Self.feedRead(&sm, Self.rows(5..<6), at: 402)
        guard let later = Self.nextSend(&sm, at: 402) else { Issue.record("third send expected"); return }
        #expect(sm.sendFinished(later.id, outcome: Self.ok, now: Self.at(403), using: &random) == .delivered(parked: 1))
        guard case .commit(let commit) = sm.nextAction(now: Self.at(404), leaseUntil: Self.lease) else { Issue.record("commit expected"); return }
        #expect(commit.rejections.map(\.row.eventID) == ["e0"])
        #expect(commit.rejections.first?.reason == "HTTP 422: schema")
        #expect(commit.through == OutboxCursor(txid: 0, id: 6))
    }

    /// The suspect was refused after everything else was answered: nothing left proves the endpoint, so one
    /// event the cloud already took is sent again alone. Its 200 (`duplicate`) parks the suspect; a refusal of
    /// it means the endpoint and parks nothing.
    @Test(arguments: [true, false])
    func aProbeWithAnAnsweredEventTellsEventFromEndpoint(probeAccepted: Bool) {
        var sm = machine(batchSize: 10, inFlight: 2)
        var random = SplitMix64(seed: 42)
        Self.feedRead(&sm, Self.rows(0..<1))
        guard let lone = Self.nextSend(&sm) else { Issue.record("send expected"); return }
        Self.feedRead(&sm, Self.rows(1..<4), at: 201)
        guard let rest = Self.nextSend(&sm, at: 201) else { Issue.record("second send expected"); return }
        _ = sm.sendFinished(rest.id, outcome: Self.ok, now: Self.at(202), using: &random)
        #expect(sm.sendFinished(lone.id, outcome: .refused(status: 413, reason: "HTTP 413", endpoint: false), now: Self.at(203), using: &random)
                == .suspect(eventID: "e0", reason: "HTTP 413"))
        guard case .read = sm.nextAction(now: Self.at(401), leaseUntil: Self.lease) else { Issue.record("read first"); return }
        sm.readFinished([], now: Self.at(401))
        guard let probe = Self.nextSend(&sm, at: 402) else { Issue.record("probe expected"); return }
        #expect(probe.rows.map(\.eventID) == ["e1"])
        if probeAccepted {
            #expect(sm.sendFinished(probe.id, outcome: .delivered(accepted: 0, duplicates: 1, rejected: [:]), now: Self.at(403), using: &random) == .delivered(parked: 1))
            guard case .commit(let commit) = sm.nextAction(now: Self.at(404), leaseUntil: Self.lease) else { Issue.record("commit expected"); return }
            #expect(commit.rejections.map(\.row.eventID) == ["e0"])
            #expect(commit.through == OutboxCursor(txid: 0, id: 4))
        } else {
            guard case .endpointRefused = sm.sendFinished(probe.id, outcome: .refused(status: 413, reason: "HTTP 413", endpoint: false), now: Self.at(403), using: &random) else {
                Issue.record("endpoint expected"); return
            }
            #expect(sm.suspects == 0)
            #expect(sm.mode == .refused)
            if case .commit = sm.nextAction(now: Self.at(404), leaseUntil: Self.lease) { Issue.record("nothing may be committed") }
        }
    }

    /// Two events refused alone with no 200 between: the endpoint, not the events. Nothing parked; backoff;
    /// both queued again; the state says `refused`.
    @Test func twoLoneRefusalsMeanTheEndpointAndParkNothing() {
        var sm = machine(batchSize: 10, inFlight: 1)
        var random = SplitMix64(seed: 42)
        Self.feedRead(&sm, Self.rows(0..<2))
        var now = 0
        var decisions: [SyncStateMachine.Decision] = []
        while decisions.count < 3 {
            now += 1
            guard let batch = Self.nextSend(&sm, at: now) else { Issue.record("send expected at \(now)"); return }
            decisions.append(sm.sendFinished(batch.id, outcome: .refused(status: 400, reason: "HTTP 400: bad", endpoint: false), now: Self.at(now), using: &random))
        }
        #expect(decisions[0] == .split(reason: "HTTP 400: bad"))
        #expect(decisions[1] == .suspect(eventID: "e0", reason: "HTTP 400: bad"))
        guard case .endpointRefused = decisions[2] else { Issue.record("endpoint expected, got \(decisions[2])"); return }
        #expect(sm.mode == .refused)
        #expect(sm.status.state == "refused")
        #expect(sm.suspects == 0)
        // Nothing to commit, nothing parked; after the backoff the first event is asked again.
        if case .commit = sm.nextAction(now: Self.at(now + 1), leaseUntil: Self.lease) { Issue.record("nothing may be committed") }
        guard let probe = Self.nextSend(&sm, at: now + 31_000) else { Issue.record("probe after backoff"); return }
        #expect(probe.rows.map(\.eventID) == ["e0"])
        // The endpoint is back: delivered, nothing parked.
        #expect(sm.sendFinished(probe.id, outcome: Self.ok, now: Self.at(now + 31_001), using: &random) == .delivered(parked: 0))
        #expect(sm.mode == .sending)
    }

    @Test func anEmpty404RefusesTheEndpointAtOnce() {
        var sm = machine(batchSize: 10)
        var random = SplitMix64(seed: 42)
        Self.feedRead(&sm, Self.rows(0..<10))
        guard let batch = Self.nextSend(&sm) else { Issue.record("send expected"); return }
        guard case .endpointRefused(_, let reason) = sm.sendFinished(batch.id, outcome: .refused(status: 404, reason: "HTTP 404", endpoint: true), now: Self.at(1), using: &random) else {
            Issue.record("endpoint expected"); return
        }
        #expect(reason == "HTTP 404")
        #expect(sm.windowCount == 1)  // not split
        #expect(sm.allowedInFlight == 1)
    }

    /// A suspect with nothing else to send is asked again after a growing wait, not every poll.
    @Test func aLoneSuspectIsAskedAgainAfterBackoff() {
        var sm = machine(batchSize: 10)
        var random = SplitMix64(seed: 42)
        Self.feedRead(&sm, Self.rows(0..<1))
        guard let lone = Self.nextSend(&sm) else { Issue.record("send expected"); return }
        _ = sm.sendFinished(lone.id, outcome: .refused(status: 413, reason: "HTTP 413", endpoint: false), now: Self.at(0), using: &random)
        #expect(sm.status.state == "refused")
        var now = 0
        var asked = 0
        while now < 5_000 {
            now += 10
            switch sm.nextAction(now: Self.at(now), leaseUntil: Self.lease) {
            case .read: sm.readFinished([], now: Self.at(now))
            case .send(let batch):
                asked += 1
                _ = sm.sendFinished(batch.id, outcome: .refused(status: 413, reason: "HTTP 413", endpoint: false), now: Self.at(now), using: &random)
            default: break
            }
        }
        #expect(asked >= 1 && asked <= 6, "asked \(asked) times in 5 s")
        #expect(sm.suspects == 1)
    }

    @Test func aLargeBatchThatKeepsTimingOutIsSplit() {
        var sm = machine(batchSize: 10)
        var random = SplitMix64(seed: 42)
        Self.feedRead(&sm, Self.rows(0..<10, bodyBytes: 20_000))
        var now = 0
        guard let batch = Self.nextSend(&sm) else { Issue.record("send expected"); return }
        guard case .retry = sm.sendFinished(batch.id, outcome: .timedOut(reason: "deadline"), now: Self.at(now), using: &random) else {
            Issue.record("first timeout: retry"); return
        }
        now += 1_000
        guard let again = Self.nextSend(&sm, at: now), again == batch else { Issue.record("same batch again"); return }
        guard case .split = sm.sendFinished(again.id, outcome: .timedOut(reason: "deadline"), now: Self.at(now), using: &random) else {
            Issue.record("second timeout: split"); return
        }
        #expect(sm.windowCount == 2)
        // A small batch that times out is an outage, not a size problem: resent, never split.
        var small = machine(batchSize: 10)
        Self.feedRead(&small, Self.rows(0..<10))
        now = 0
        for _ in 0..<5 {
            guard let b = Self.nextSend(&small, at: now) else { Issue.record("send expected"); return }
            guard case .retry = small.sendFinished(b.id, outcome: .timedOut(reason: "deadline"), now: Self.at(now), using: &random) else {
                Issue.record("small batches are retried"); return
            }
            now += 31_000
        }
        #expect(small.windowCount == 1)
    }

    // MARK: Stop

    /// Graceful stop: nothing new is sent or read; the answers of the batches in flight are committed; then exit.
    @Test func aGracefulStopCommitsEveryAnsweredBatch() {
        var sm = machine(batchSize: 10)
        var random = SplitMix64(seed: 42)
        var sent: [SyncBatch] = []
        for n in 0..<3 {
            Self.feedRead(&sm, Self.rows(n * 10..<(n + 1) * 10))
            if let batch = Self.nextSend(&sm) { sent.append(batch) }
        }
        Self.feedRead(&sm, Self.rows(30..<40))
        #expect(sent.count == 3)
        sm.stop(now: Self.at(1))
        // The fourth batch is never sent; we wait for answers.
        guard case .wait(let until) = sm.nextAction(now: Self.at(2), leaseUntil: Self.lease) else { Issue.record("wait expected"); return }
        #expect(until <= Self.at(10_001))
        _ = sm.sendFinished(sent[2].id, outcome: Self.ok, now: Self.at(3), using: &random)
        _ = sm.sendFinished(sent[0].id, outcome: Self.ok, now: Self.at(4), using: &random)
        guard case .commit(let first) = sm.nextAction(now: Self.at(5), leaseUntil: Self.lease) else { Issue.record("commit expected"); return }
        #expect(first.through == OutboxCursor(txid: 0, id: 10))
        sm.commitFinished(.committed, now: Self.at(5))
        _ = sm.sendFinished(sent[1].id, outcome: Self.ok, now: Self.at(6), using: &random)
        guard case .commit(let rest) = sm.nextAction(now: Self.at(7), leaseUntil: Self.lease) else { Issue.record("commit expected"); return }
        #expect(rest.through == OutboxCursor(txid: 0, id: 30))
        sm.commitFinished(.committed, now: Self.at(7))
        #expect(sm.nextAction(now: Self.at(8), leaseUntil: Self.lease) == .exit)
    }

    @Test func aGracefulStopGivesUpAfterItsGrace() {
        var sm = machine(batchSize: 10)
        Self.feedRead(&sm, Self.rows(0..<10))
        _ = Self.nextSend(&sm)
        sm.stop(now: Self.at(0))
        guard case .wait = sm.nextAction(now: Self.at(9_999), leaseUntil: Self.lease) else { Issue.record("wait expected"); return }
        #expect(sm.nextAction(now: Self.at(10_000), leaseUntil: Self.lease) == .exit)
    }

    @Test func gzipRoundTrip() throws {
        let text = Array(String(repeating: #"{"event_id":"0193a3c1-7b2e-7c3a-9f4d-2b8e5a1c0d11"},"#, count: 1000).utf8)
        let compressed = Gzip.compress(text)
        #expect(compressed.count < text.count / 10)
        #expect(compressed.prefix(2) == [0x1f, 0x8b])
        #expect(try Gzip.decompress(compressed, limit: text.count) == text)
    }
}
