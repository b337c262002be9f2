import FarmIQTestSupport
import FarmIQApp
import FarmIQCore
@testable import FarmIQStorage
import Foundation
import Testing

/// Weigh sessions end to end (`contracts.md` §3a): devices → MQTT → gateway → session owner → finalization →
/// outbox, and the session API; a `kill -9` while sessions are due.
@Suite("Weigh sessions end to end", .serialized)
struct WeighSessionEndToEndTests {
    static func messages(session: String, tenant: String, readings: [Double], ended: Bool = true, station: String = "st-1") -> [(topic: String, payload: String)] {
        let topic = Envelopes.topic(tenant: tenant, device: "scale-1", kind: "event")
        let now = Timestamp.now()
        var list = [(topic, Envelopes.event(
            type: "weighvision.session.started",
            payload: #"{"session_id":"\#(session)","station_id":"\#(station)","animal":"broiler","expected_count":3}"#, at: now))]
        for (seq, weight) in readings.enumerated() {
            list.append((topic, Envelopes.event(
                type: "weighvision.weight.reading",
                payload: #"{"session_id":"\#(session)","seq":\#(seq),"weight_kg":\#(weight),"stable":true}"#,
                at: now.adding(milliseconds: Int64(seq + 1) * 100))))
        }
        if ended {
            list.append((topic, Envelopes.event(
                type: "weighvision.session.ended", payload: #"{"session_id":"\#(session)","reason":"completed"}"#,
                at: now.adding(milliseconds: Int64(readings.count + 1) * 100))))
        }
        return list
    }

    @Test("shuffled and repeated over MQTT, a session is finalized with every event; a late reading makes the next revision; the API shows both", arguments: DatabaseEngine.allCases)
    func sessionOverMQTT(engine: DatabaseEngine) async throws {
        let databaseURL = try await TestEnvironment.freshDatabaseURL(engine)
        let tenant = TestEnvironment.uniqueName("ws")
        // A grace long enough for the whole session to be committed on a loaded machine (it is finalized once, with
        // every event); a shorter one would finalize what arrived first and the rest as later revisions.
        // Only this tenant: a gateway subscribed to every tenant also gets the other tests' floods (the soak test's
        // 100,000 messages) and may take minutes to reach this test's late reading.
        let edge = try await InProcessEdge.start(databaseURL: databaseURL, settings: [
            "FARMIQ_SESSION_GRACE_SECONDS": "3", "FARMIQ_INGEST_TENANT": tenant,
        ])
        let publisher = try await TestPublisher()
        let session = EventID.v7()
        var messages = Self.messages(session: session, tenant: tenant, readings: [6.90, 6.93, 6.95, 12.0])
        messages += messages.prefix(2)  // device retries
        var generator = SystemRandomNumberGenerator()
        messages.shuffle(using: &generator)
        #expect(try await publisher.publish(messages) == messages.count)
        let detailURL = edge.baseURL + "/api/v1/weighvision/sessions/\(session)?tenant_id=\(tenant)"
        /// The session once it is finalized with `readings` readings and not due again (on a loaded machine a part of
        /// the events can miss the grace period: they then make a later revision, as the contract says).
        func settled(readings: Int) async throws -> JSONValue {
            var detail: JSONValue = .null
            try await eventually(timeout: .seconds(60)) {
                detail = try await HTTP.getJSON(detailURL)
                guard case .array(let rows)? = detail["readings"], rows.count == readings else { return false }
                return detail["session"]?["status"] == .string("completed") && detail["session"]?["due_at"] == .null
            }
            return detail
        }
        let detail = try await settled(readings: 4)
        guard case .number(let firstRevision)? = detail["session"]?["revision"], let first = firstRevision.integerValue else {
            Issue.record("no revision: \(detail)"); return
        }
        #expect(first >= 1)
        #expect(detail["session"]?["station_id"] == .string("st-1"))
        #expect(detail["result"]?["scale"]?["weight_kg"] == .number(JSONNumber(6.93)))  // 12.0 is beyond 3 MAD
        #expect(detail["result"]?["scale"]?["readings"] == .number(JSONNumber(4)))
        #expect(detail["result"]?["bird_count"] == .number(JSONNumber(3)))

        // A late reading: stored, finalized again after the grace with the next revision, marked late.
        let late = [(Envelopes.topic(tenant: tenant, device: "scale-1", kind: "event"), Envelopes.event(
            type: "weighvision.weight.reading", payload: #"{"session_id":"\#(session)","seq":9,"weight_kg":6.94,"stable":true}"#))]
        #expect(try await publisher.publish(late) == 1)
        let after = try await settled(readings: 5)
        #expect(after["session"]?["revision"] == .number(JSONNumber(first + 1)))
        guard case .array(let anomalies)? = after["result"]?["anomalies"] else { Issue.record("no anomalies: \(after)"); return }
        #expect(anomalies.contains(.string("late_events")))
        let list = try await HTTP.getJSON(edge.baseURL + "/api/v1/weighvision/sessions?tenant_id=\(tenant)&status=completed")
        guard case .array(let sessions)? = list["sessions"] else { Issue.record("sessions missing"); return }
        #expect(sessions.count == 1 && sessions.first?["session_id"] == .string(session))
        #expect(try await HTTP.get(edge.baseURL + "/api/v1/weighvision/sessions/\(session)?tenant_id=other").status == 404)
        #expect(try await HTTP.get(edge.baseURL + "/api/v1/weighvision/sessions/../../x?tenant_id=\(tenant)").status != 200)
        #expect(try await HTTP.get(edge.baseURL + "/api/v1/weighvision/sessions?tenant_id=\(tenant)&cursor=bogus").status == 400)
        let finalized = try await HTTP.metric(edge.baseURL, #"farmiq_sessions_finalized_total{status="completed"}"#)
        #expect(finalized == Double(first + 1))
        // Raw events (7 distinct) and one finalized event per revision went to the outbox, each once. (Counted for this
        // tenant: the gateway also ingests what other suites publish on the shared test broker.)
        let database = try EdgeDatabase.open(try DatabaseURL(parsing: databaseURL), logger: TestEnvironment.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await database.run() }
            let queued = try await database.scalarInt(unsafeSQL: "SELECT count(*) FROM sync_outbox WHERE tenant_id = '\(tenant)'")
            #expect(queued == 7 + first + 1, "revisions \(first + 1)")
            group.cancelAll()
        }
        await publisher.stop()
        await edge.stop()
    }

    @Test("kill -9 while sessions are due: after the restart each is finalized exactly once", arguments: DatabaseEngine.allCases)
    func killWhileDue(engine: DatabaseEngine) async throws {
        let databaseURL = try await TestEnvironment.freshDatabaseURL(engine)
        let tenant = TestEnvironment.uniqueName("wk")
        let port = ChildEdge.freePort()
        // A long grace: every session is still waiting when the process dies.
        var edge = try ChildEdge(databaseURL: databaseURL, port: port, settings: [
            "FARMIQ_SESSION_GRACE_SECONDS": "4", "FARMIQ_MQTT_CLIENT_ID": TestEnvironment.uniqueName("wk-gw"),
            // Only this tenant: other tests publish sessions on the same broker at the same time.
            "FARMIQ_INGEST_TENANT": tenant,
        ])
        try await HTTP.waitUntilReady(edge.baseURL)
        let publisher = try await TestPublisher()
        let sessions = (0..<20).map { _ in EventID.v7() }
        let messages = sessions.flatMap { Self.messages(session: $0, tenant: tenant, readings: [2.0, 2.1, 2.2]) }
        #expect(try await publisher.publish(messages) == messages.count)
        await edge.kill9()
        edge = try edge.restarted()
        try await HTTP.waitUntilReady(edge.baseURL)
        try await eventually(timeout: .seconds(60)) {
            try await HTTP.metric(edge.baseURL, #"farmiq_sessions{status="completed"}"#) == 20
        }
        // Let a few more passes run: nothing is finalized twice.
        try await Task.sleep(for: .seconds(3))
        #expect(await edge.stop())
        let database = try EdgeDatabase.open(try DatabaseURL(parsing: databaseURL), logger: TestEnvironment.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await database.run() }
            let finalized = try await database.scalarInt(unsafeSQL: "SELECT count(*) FROM sync_outbox WHERE event_type = 'weighvision.session.finalized'")
            #expect(finalized == 20)
            let revisions = try await database.scalarInt(unsafeSQL: "SELECT count(*) FROM weight_sessions WHERE revision = 1 AND status = 'completed'")
            #expect(revisions == 20)
            group.cancelAll()
        }
        await publisher.stop()
    }

    @Test("a session's images: counted in its finalization, listed with their URLs in its detail")
    func sessionWithImages() async throws {
        let databaseURL = try await TestEnvironment.freshDatabaseURL(.sqlite)
        let tenant = TestEnvironment.uniqueName("wi")
        let root = try MediaUploadClient.freshRoot()
        let token = try await MediaUploadClient.register("\(tenant)/farm-1/barn-1/cam-1", databaseURL: databaseURL)
        let edge = try await InProcessEdge.start(databaseURL: databaseURL, settings: [
            "FARMIQ_SESSION_GRACE_SECONDS": "2", "FARMIQ_MEDIA_ROOT": root, "FARMIQ_INGEST_TENANT": tenant,
        ])
        let camera = MediaUploadClient(baseURL: edge.baseURL, token: token)
        let session = EventID.v7()
        var mediaIDs: [String] = []
        for seed in 0..<2 {
            let answer = try await camera.upload(MediaUploadClient.jpeg(seed: seed), capturedAt: Timestamp.now().adding(milliseconds: Int64(seed)).rfc3339, sessionID: session)
            #expect(answer.status == 201)
            mediaIDs.append(try #require(answer.mediaID))
        }
        let publisher = try await TestPublisher()
        #expect(try await publisher.publish(Self.messages(session: session, tenant: tenant, readings: [4.1, 4.2, 4.15])) == 5)
        let detailURL = edge.baseURL + "/api/v1/weighvision/sessions/\(session)?tenant_id=\(tenant)"
        var detail: JSONValue = .null
        try await eventually(timeout: .seconds(60)) {
            detail = try await HTTP.getJSON(detailURL)
            return detail["session"]?["status"] == .string("completed") && detail["session"]?["due_at"] == .null
        }
        #expect(detail["result"]?["images"]?["count"] == .number(JSONNumber(2)))
        guard case .array(let images)? = detail["images"] else { Issue.record("no images: \(detail)"); return }
        #expect(images.count == 2)
        #expect(Set(images.compactMap { if case .string(let id)? = $0["media_id"] { id } else { nil } }) == Set(mediaIDs))
        #expect(images.first?["url"] == .string("/api/v1/media/\(mediaIDs[0])"))
        await publisher.stop()
        await edge.stop()
    }
}
