@testable import FarmIQApp
import FarmIQCore
@testable import FarmIQStorage
import FarmIQTestSupport
import Foundation
import Testing
import VisionInference

/// Per-station self-calibration (issue: local ML inference, item 3): stations learn `weight = a · area^b` from their
/// own scale; inference uses a station's model once it is calibrated; models move as checked JSON files.
@Suite("Calibration", .serialized)
struct CalibrationEndToEndTests {
    static let source = #"{"bird_count_source":"images","anomalies":[]}"#

    /// One simulated session through the real pipeline: its images' single-bird area and its scale's weight per animal.
    static func lesson(weights: [Double], camera: Double, random: inout SplitMix64) -> CalibrationPair? {
        let scene = TopViewScene(weightsKg: weights, camera: .compact.with(pixelsPerKg23: camera), using: &random)
        let result = ImageAnalysis().analyse(scene.jpeg(using: &random))
        guard result.birdCount == weights.count else { return nil }
        let scale = weights.reduce(0, +) * (1 + Double.random(in: -0.005...0.005, using: &random))
        let candidate = CalibrationCandidate(
            tenantID: "t", sessionID: "s", station: "st", revision: 1, weightKg: scale, birdCount: weights.count,
            resultJSON: source, singleBirdAreaPx: result.singleBirdAreaPx)
        return try? CalibrationRule.lesson(candidate).get()
    }

    @Test("two stations with different camera heights each converge to their own model; the prior is far off for both")
    func twoStationsConverge() throws {
        var models: [WeightModel] = []
        for (index, camera) in [5200.0, 3100.0].enumerated() {
            var random = SplitMix64(seed: 100 + UInt64(index))
            var pairs: [CalibrationPair] = []
            for _ in 0..<10 {
                let weights = (0..<3).map { _ in Double.random(in: 1.4...3.0, using: &random) }
                if let pair = Self.lesson(weights: weights, camera: camera, random: &random) { pairs.append(pair) }
            }
            #expect(pairs.count >= 9, "the pipeline counted too few sessions right")
            // Held out: sessions from a seed the fit never saw.
            var heldOutRandom = SplitMix64(seed: 900 + UInt64(index))
            var heldOut: [CalibrationPair] = []
            for _ in 0..<10 {
                let weights = (0..<3).map { _ in Double.random(in: 1.4...3.0, using: &heldOutRandom) }
                if let pair = Self.lesson(weights: weights, camera: camera, random: &heldOutRandom) { heldOut.append(pair) }
            }
            func mape(_ model: WeightModel) -> Double {
                heldOut.map { abs(model.weightKg(areaPixels: $0.areaPixels) - $0.weightKg) / $0.weightKg }.reduce(0, +) / Double(max(1, heldOut.count))
            }
            // The learning curve: held-out per-animal error after the first n sessions.
            var curve: [String] = []
            for n in [1, 3, 5, pairs.count] {
                if let early = WeightCalibration.fit(Array(pairs.prefix(n)), version: "st-\(index)/v\(n)") {
                    curve.append(String(format: "%d sessions %.2f%%", n, mape(early) * 100) + (early.calibrated ? " (calibrated)" : ""))
                }
            }
            let model = try #require(WeightCalibration.fit(pairs, version: "st-\(index)/v\(pairs.count)"))
            #expect(model.calibrated)
            let fittedMAPE = mape(model), priorMAPE = mape(.prior)
            print("camera \(camera): a \(model.a) b \(model.b); held-out MAPE after \(curve.joined(separator: ", ")); prior \(priorMAPE * 100)%")
            #expect(fittedMAPE < 0.04, "station \(index): held-out MAPE \(fittedMAPE)")
            #expect(priorMAPE > 0.25, "station \(index): the prior should be far off at this camera (\(priorMAPE))")
            models.append(model)
        }
        // The two stations' models differ: at one area they predict weights far apart.
        let (low, high) = (models[0].weightKg(areaPixels: 7000), models[1].weightKg(areaPixels: 7000))
        #expect(high / low > 1.5, "\(low) kg vs \(high) kg")
    }

    @Test("sessions over MQTT and HTTP teach a station; its model advances to calibrated and weighs later images; model show, export and import", arguments: DatabaseEngine.allCases)
    func stationLearnsFromItsScale(engine: DatabaseEngine) async throws {
        let databaseURL = try await TestEnvironment.freshDatabaseURL(engine)
        let root = try MediaUploadClient.freshRoot()
        let tenant = TestEnvironment.uniqueName("cal")
        let token = try await MediaUploadClient.register("\(tenant)/farm-1/barn-1/cam-1", databaseURL: databaseURL)
        let edge = try await InProcessEdge.start(databaseURL: databaseURL, settings: [
            "FARMIQ_MEDIA_ROOT": root, "FARMIQ_INGEST_TENANT": tenant, "FARMIQ_SESSION_GRACE_SECONDS": "2",
        ])
        let camera = MediaUploadClient(baseURL: edge.baseURL, token: token)
        let publisher = try await TestPublisher()
        // A compact 640×360 view: the prior (the standard 1280×720 camera's) underestimates every bird by about 74%.
        let pixelsPerKg23 = 5200.0
        var random = SplitMix64(seed: 31)
        func count(_ sql: String) async throws -> Int {
            try await TestDatabase.withDatabase(databaseURL) { try await $0.scalarInt(unsafeSQL: sql) }
        }

        let needed = WeightCalibration.minimumSessions
        for index in 0..<needed {
            let session = EventID.v7()
            let weights = (0..<3).map { _ in Double.random(in: 1.8...2.6, using: &random) }
            for shot in 0..<2 {
                let jpeg = TopViewScene(weightsKg: weights, camera: .compact.with(pixelsPerKg23: pixelsPerKg23), using: &random).jpeg(using: &random)
                let answer = try await camera.upload(jpeg, capturedAt: Timestamp.now().adding(milliseconds: Int64(shot)).rfc3339, sessionID: session)
                #expect(answer.status == 201)
            }
            // Images first, analysed before the session ends: its count comes from them.
            try await eventually(timeout: .seconds(60)) { try await count("SELECT count(*) FROM inference_results") == 2 * (index + 1) }
            let total = weights.reduce(0, +)
            let messages = WeighSessionEndToEndTests.messages(session: session, tenant: tenant, readings: [total, total + 0.01, total - 0.01], station: "st-cal")
            #expect(try await publisher.publish(messages) == messages.count)
            try await eventually(timeout: .seconds(60)) { try await count("SELECT count(*) FROM calibration_pairs WHERE used") == index + 1 }
        }
        let model = try await TestDatabase.withDatabase(databaseURL) { try await $0.models.current(tenantID: tenant, station: "st-cal") }
        let learnt = try #require(model)
        #expect(learnt.version == needed && learnt.calibrated && learnt.origin == .fit)
        #expect(learnt.sessions == needed)

        // A later session: its images are weighed with the station's calibrated model.
        let session = EventID.v7()
        let weights = [2.3, 2.4, 2.5]
        let opening = WeighSessionEndToEndTests.messages(session: session, tenant: tenant, readings: [], ended: false, station: "st-cal")
        #expect(try await publisher.publish(opening) == opening.count)
        try await eventually(timeout: .seconds(30)) {
            try await count("SELECT count(*) FROM weight_sessions WHERE station_id = 'st-cal'") == needed + 1
        }
        let jpeg = TopViewScene(weightsKg: weights, camera: .compact.with(pixelsPerKg23: pixelsPerKg23), using: &random).jpeg(using: &random)
        let answer = try await camera.upload(jpeg, sessionID: session)
        let mediaID = try #require(answer.mediaID)
        var payload: JSONValue?
        try await eventually(timeout: .seconds(60)) {
            let events = try await TestDatabase.withDatabase(databaseURL) { try await $0.outbox.read(after: .start, limit: 10_000) }
            payload = events.filter { $0.eventType == "inference.completed" && $0.body.contains(mediaID) }
                .compactMap { try? JSONParser.parse($0.body)["payload"] }.first
            return payload != nil
        }
        #expect(payload?["model_version"] == .string("st-cal/v\(needed)"))
        #expect(payload?["calibrated"] == .bool(true))
        guard case .number(let estimate)? = payload?["avg_weight_kg_estimate"] else { Issue.record("no estimate: \(String(describing: payload))"); return }
        let truth = weights.reduce(0, +) / 3
        #expect(abs(estimate.value - truth) / truth < 0.06, "estimate \(estimate.value) kg, truth \(truth) kg")
        await publisher.stop()
        await edge.stop()

        // The CLI: show, export, import (a hostile file is refused; a good one becomes another station's next version).
        let database = ["--database-url", databaseURL]
        let shown = try await TestCommand.run(TestEnvironment.edgeBinary, ["model", "show", "--tenant", tenant] + database)
        #expect(shown.status == 0 && shown.output.contains("\(tenant) / st-cal/v\(needed)") && shown.output.contains("yes"), "\(shown.output)")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(TestEnvironment.uniqueName("model") + ".json").path
        let exported = try await TestCommand.run(TestEnvironment.edgeBinary, ["model", "export", "\(tenant)/st-cal", "--output", file] + database)
        #expect(exported.status == 0, "\(exported.output)")
        let imported = try await TestCommand.run(TestEnvironment.edgeBinary, ["model", "import", file, "--station", "\(tenant)/st-new"] + database)
        #expect(imported.status == 0 && imported.output.contains("installed st-new/v1"), "\(imported.output)")
        let installed = try await TestDatabase.withDatabase(databaseURL) { try await $0.models.current(tenantID: tenant, station: "st-new") }
        #expect(installed?.origin == .import && installed?.a == learnt.a && installed?.b == learnt.b && installed?.calibrated == true)
        try #"{"format":"farmiq-weight-model","format_version":1,"tenant_id":"x","station":"y","a":1,"b":9,"sessions":5,"calibrated":true}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        let refused = try await TestCommand.run(TestEnvironment.edgeBinary, ["model", "import", file] + database)
        #expect(refused.status != 0 && refused.output.contains("\"b\" must be between 0.5 and 3"), "\(refused.output)")
        let missing = try await TestCommand.run(TestEnvironment.edgeBinary, ["model", "export", "\(tenant)/nobody"] + database)
        #expect(missing.status != 0 && missing.output.contains("has no weight model"), "\(missing.output)")
        try? FileManager.default.removeItem(atPath: file)
    }
}
