import Testing
@testable import FarmIQCore

/// The weigh-session lifecycle and its numbers (`contracts.md` §3a), without I/O.
@Suite("Weigh sessions")
struct WeighSessionTests {
    static let address = DeviceAddress(tenantID: "t1", farmID: "f1", barnID: "b1", deviceID: "scale-1")!
    static let sessionID = "8f14e45f-ceea-467a-9a8e-1b2c3d4e5f60"
    static let t0: Int64 = 1_796_000_000_000

    static func event(_ n: Int, _ kind: SessionEvent.Kind, device: String = "scale-1") -> SessionEvent {
        SessionEvent(
            address: DeviceAddress(tenantID: "t1", farmID: "f1", barnID: "b1", deviceID: device)!,
            eventID: "00000000-0000-4000-8000-" + String(String(repeating: "0", count: 12) + String(n)).suffix(12), sessionID: sessionID,
            occurredAt: Timestamp(millisecondsSinceEpoch: t0 + Int64(n) * 1000),
            receivedAt: Timestamp(millisecondsSinceEpoch: t0 + Int64(n) * 1000 + 50), kind: kind)
    }

    /// started, four readings (one unstable spike), ended: in occurred order.
    static let events: [SessionEvent] = [
        event(0, .started(stationID: "st-1", animal: "broiler", expectedCount: 3)),
        event(1, .reading(seq: 0, weightKg: 6.90, stable: true)),
        event(2, .reading(seq: 1, weightKg: 9.50, stable: false)),
        event(3, .reading(seq: 2, weightKg: 6.93, stable: true)),
        event(4, .reading(seq: 3, weightKg: 6.95, stable: true)),
        event(5, .ended(.completed)),
    ]

    static func fold(_ events: [SessionEvent], policy: SessionPolicy = SessionPolicy()) -> WeighSession {
        var session = WeighSession(opening: events[0])
        for event in events { session.apply(event, grace: policy.grace, timeout: policy.timeout) }
        return session
    }

    static func readings(_ events: [SessionEvent]) -> [(weightKg: Double, stable: Bool)] {
        events.compactMap { if case .reading(_, let weight, let stable) = $0.kind { (weight, stable) } else { nil } }
    }

    static func permutations<T>(_ items: [T]) -> [[T]] {
        guard items.count > 1 else { return [items] }
        var result: [[T]] = []
        for (index, item) in items.enumerated() {
            var rest = items
            rest.remove(at: index)
            for tail in permutations(rest) { result.append([item] + tail) }
        }
        return result
    }

    @Test("every order of a session's events (readings before started, ended first, …) folds and finalizes to the same result")
    func orderDoesNotMatter() {
        let reference = Self.fold(Self.events)
        let referenceResult = SessionFinalization(session: reference, readings: Self.readings(Self.events), images: .none)
        var orders = 0
        for order in Self.permutations(Self.events) {
            // The device of the first event received names the session; make them all the same device here.
            let session = Self.fold(order)
            #expect(session.startedAt == reference.startedAt && session.endedAt == reference.endedAt)
            #expect(session.stationID == "st-1" && session.expectedCount == 3 && session.endReason == .completed)
            #expect(session.dueAt == reference.dueAt)
            let result = SessionFinalization(session: session, readings: Self.readings(order), images: .none)
            #expect(result.payloadJSON == referenceResult.payloadJSON)
            orders += 1
        }
        #expect(orders == 720)
        #expect(referenceResult.status == .completed)
        #expect(referenceResult.revision == 1)
        #expect(referenceResult.scale.weightKg == 6.93)
        #expect(referenceResult.birdCount == 3 && referenceResult.countSource == .expectedCount)
        #expect(abs((referenceResult.averageWeightKg ?? 0) - 2.31) < 1e-9)
        #expect(referenceResult.anomalies.isEmpty)
    }

    @Test("due: timeout after the last event while open; grace once ended; grace after a finalization (late event)")
    func dueTimes() {
        let policy = SessionPolicy(grace: .seconds(30), timeout: .seconds(1800))
        var session = WeighSession(opening: Self.events[1])
        session.apply(Self.events[1], grace: policy.grace, timeout: policy.timeout)
        #expect(session.dueAt == Self.events[1].receivedAt.adding(milliseconds: 1_800_000))
        #expect(session.closingStatus == .timedOut)
        session.apply(Self.events[5], grace: policy.grace, timeout: policy.timeout)
        #expect(session.dueAt == Self.events[5].receivedAt.adding(milliseconds: 30_000))
        #expect(session.closingStatus == .completed)
        // Finalized (revision 1), then a late reading: open again, due after the grace, marked late.
        session.revision = 1
        session.status = .completed
        session.dueAt = nil
        let late = Self.event(9, .reading(seq: 9, weightKg: 7.0, stable: true))
        session.apply(late, grace: policy.grace, timeout: policy.timeout)
        #expect(session.status == .open && session.lateEvents)
        #expect(session.dueAt == late.receivedAt.adding(milliseconds: 30_000))
        let result = SessionFinalization(session: session, readings: [(7.0, true)], images: .none)
        #expect(result.revision == 2)
        #expect(result.anomalies.contains("late_events"))
    }

    @Test("an analysed image reopens a finalized session (due after the grace); an open or already due one is left alone")
    func imageAnalysedReopens() {
        let grace = Duration.seconds(30)
        let at = Timestamp(millisecondsSinceEpoch: 1_800_000_000_000)
        var session = Self.fold(Self.events)
        #expect(session.revision == 0)
        let beforeFinalization = session.imageAnalysed(at: at, grace: grace)
        #expect(!beforeFinalization)  // not finalized yet: its finalization reads the results
        session.revision = 1
        session.status = .completed
        session.dueAt = nil
        let reopened = session.imageAnalysed(at: at, grace: grace)
        #expect(reopened)
        #expect(session.status == .open && session.dueAt == at.adding(milliseconds: 30_000))
        #expect(!session.lateEvents)
        let again = session.imageAnalysed(at: at.adding(milliseconds: 5000), grace: grace)
        #expect(!again)  // already due: unchanged
        #expect(session.dueAt == at.adding(milliseconds: 30_000))
    }

    @Test("a cancelled end and a timed-out session")
    func closingStatuses() {
        var cancelled = WeighSession(opening: Self.events[0])
        cancelled.apply(Self.event(7, .ended(.cancelled)), grace: .seconds(30), timeout: .seconds(1800))
        #expect(SessionFinalization(session: cancelled, readings: [], images: .none).status == .cancelled)
        let open = Self.fold([Self.events[1]])
        let result = SessionFinalization(session: open, readings: [(2.0, true)], images: .none)
        #expect(result.status == .timedOut)
        #expect(result.anomalies == ["not_started"])
        #expect(result.birdCount == nil && result.countSource == .unknown && result.averageWeightKg == nil)
    }

    @Test("scale: median of stable readings after dropping outliers beyond 3 MAD; no stable reading → all, with the anomaly")
    func scale() {
        let stable = ScaleEstimate(readings: [(6.9, true), (6.92, true), (6.94, true), (6.96, true), (12.0, true), (0.4, false)])
        #expect(stable.readings == 6 && stable.stable == 5 && stable.used == 4)
        #expect(abs((stable.weightKg ?? 0) - 6.93) < 1e-9)
        #expect(abs((stable.madKg ?? 0) - 0.02) < 1e-9)
        let unstable = ScaleEstimate(readings: [(2.0, false), (2.2, false), (2.4, false)])
        #expect(unstable.noStableReadings && unstable.weightKg == 2.2 && unstable.used == 3)
        let none = ScaleEstimate(readings: [])
        #expect(none.weightKg == nil && none.used == 0 && !none.noStableReadings)
        // All equal: MAD 0 keeps the equal ones and drops the rest.
        let flat = ScaleEstimate(readings: [(5.0, true), (5.0, true), (5.0, true), (9.0, true)])
        #expect(flat.weightKg == 5.0 && flat.used == 3)
        #expect(ScaleEstimate.median([3, 1, 2, 4]) == 2.5)
        let anomalies = SessionFinalization(session: Self.fold(Self.events), readings: [(2.0, false)], images: .none).anomalies
        #expect(anomalies == ["no_stable_readings"])
        #expect(SessionFinalization(session: Self.fold(Self.events), readings: [], images: .none).anomalies == ["no_readings"])
    }

    @Test("the bird count comes from the images' median when inference found counts; a mismatch with expected_count is flagged")
    func imagesSeam() {
        let session = Self.fold(Self.events)
        let images = SessionImages(count: 4, inferredCounts: [2, 2, 3, 2], averageWeightEstimateKg: 3.0, modelVersion: "st-1/v1", calibrated: true)
        let result = SessionFinalization(session: session, readings: Self.readings(Self.events), images: images)
        #expect(result.birdCount == 2 && result.countSource == .images)
        // 6.93 kg / 2 = 3.465 kg per bird by the scale, 3.0 by the images: 13% apart.
        #expect(result.anomalies == ["count_mismatch", "scale_image_disagreement"])
    }

    @Test("the finalized event: contract §3a payload, the opening device, a new event id")
    func payload() throws {
        let session = Self.fold(Self.events)
        let result = SessionFinalization(session: session, readings: Self.readings(Self.events), images: .none)
        let event = result.outboxEvent(session: session, eventID: "0193a3c1-7b2e-7c3a-9f4d-2b8e5a1c0d11", at: Timestamp(millisecondsSinceEpoch: Self.t0 + 60_000))
        #expect(event.eventType == "weighvision.session.finalized")
        let body = try JSONParser.parse(event.body)
        #expect(body["device_id"] == .string("scale-1"))
        #expect(body["event_id"] == .string("0193a3c1-7b2e-7c3a-9f4d-2b8e5a1c0d11"))
        let payload = try #require(body["payload"])
        #expect(payload["session_id"] == .string(Self.sessionID))
        #expect(payload["status"] == .string("completed"))
        #expect(payload["revision"] == .number(JSONNumber(1)))
        #expect(payload["bird_count"] == .number(JSONNumber(3)))
        #expect(payload["bird_count_source"] == .string("expected_count"))
        #expect(payload["avg_weight_kg"] == .number(JSONNumber(2.31)))
        #expect(payload["scale"]?["weight_kg"] == .number(JSONNumber(6.93)))
        #expect(payload["scale"]?["used"] == .number(JSONNumber(3)))
        #expect(payload["images"]?["count"] == .number(JSONNumber(0)))
        #expect(payload["started_at"] == .string(Timestamp(millisecondsSinceEpoch: Self.t0).rfc3339))
        #expect(payload["anomalies"] == .array([]))
    }
}
