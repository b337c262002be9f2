import FarmIQCore
import FarmIQStorage
import Foundation
import Testing
@testable import VisionInference

/// Which sessions teach a station's model (``CalibrationRule``), and the model file's checks (``WeightModelFile``).
@Suite struct CalibrationTests {
    static func candidate(
        source: String = "images", anomalies: [String] = [], area: Double? = 6800, weight: Double = 6.0, count: Int = 3
    ) -> CalibrationCandidate {
        let list = anomalies.map { "\"\($0)\"" }.joined(separator: ",")
        return CalibrationCandidate(
            tenantID: "t", sessionID: "s", station: "st-1", revision: 1, weightKg: weight, birdCount: count,
            resultJSON: #"{"bird_count_source":"\#(source)","anomalies":[\#(list)]}"#, singleBirdAreaPx: area)
    }

    @Test func aCleanSessionTeachesAreaAgainstWeightPerAnimal() throws {
        let pair = try CalibrationRule.lesson(Self.candidate()).get()
        #expect(pair == CalibrationPair(areaPixels: 6800, weightKg: 2.0))
        // The prior disagreeing with the scale is what calibration corrects: still used.
        #expect((try? CalibrationRule.lesson(Self.candidate(anomalies: ["scale_image_disagreement", "late_events"])).get()) != nil)
    }

    @Test func sessionsThatCannotTeachAreRefusedWithTheirReason() {
        func refusal(_ candidate: CalibrationCandidate) -> CalibrationRule.Refusal? {
            if case .failure(let refusal) = CalibrationRule.lesson(candidate) { return refusal }
            return nil
        }
        #expect(refusal(Self.candidate(source: "expected_count")) == .countNotFromImages)
        #expect(refusal(Self.candidate(anomalies: ["count_mismatch"])) == .anomaly("count_mismatch"))
        #expect(refusal(Self.candidate(anomalies: ["no_stable_readings"])) == .anomaly("no_stable_readings"))
        #expect(refusal(Self.candidate(area: nil)) == .noSingleBird)
        #expect(refusal(Self.candidate(area: .infinity)) == .noSingleBird)
        #expect(refusal(Self.candidate(weight: 0)) == .noWeight)
        #expect(refusal(Self.candidate(count: 0)) == .noWeight)
        let unparsable = CalibrationCandidate(
            tenantID: "t", sessionID: "s", station: "st-1", revision: 1, weightKg: 6, birdCount: 3, resultJSON: "{not json", singleBirdAreaPx: 6000)
        #expect(refusal(unparsable) == .countNotFromImages)
    }

    static let now = Timestamp(millisecondsSinceEpoch: 1_796_000_000_000)

    @Test func aModelFileRoundTripsAndInstallsAsImport() throws {
        let model = StationModel(
            tenantID: "demo", station: "st-1", version: 7, a: 1.95e-5, b: 1.49, sessions: 12, crossValidatedMAPE: 0.021, calibrated: true,
            origin: .fit, createdAt: Self.now)
        let text = WeightModelFile.export(model)
        #expect(text.contains(#""source_version":"st-1/v7""#))
        let parsed = try WeightModelFile.parse(Array(text.utf8), at: Self.now)
        #expect(parsed.a == model.a && parsed.b == model.b && parsed.sessions == 12 && parsed.crossValidatedMAPE == 0.021)
        #expect(parsed.calibrated && parsed.origin == .import && parsed.tenantID == "demo" && parsed.station == "st-1")
        let moved = try WeightModelFile.parse(Array(text.utf8), tenantID: "other", station: "st-9", at: Self.now)
        #expect(moved.tenantID == "other" && moved.station == "st-9")
    }

    @Test func aModelFileIsCheckedNeverTrustedBlindly() throws {
        func file(_ fields: String) -> [UInt8] {
            Array(#"{"format":"farmiq-weight-model","format_version":1,"tenant_id":"demo","station":"st-1",\#(fields)}"#.utf8)
        }
        let good = #""a":1.95e-5,"b":1.49,"sessions":12,"cv_mape":0.02,"calibrated":true"#
        #expect((try? WeightModelFile.parse(file(good), at: Self.now)) != nil)
        let hostile: [(String, [UInt8])] = [
            ("b far from 1.5", file(#""a":1.95e-5,"b":10,"sessions":12,"cv_mape":0.02,"calibrated":true"#)),
            ("negative a", file(#""a":-1,"b":1.5,"sessions":12,"cv_mape":0.02,"calibrated":true"#)),
            ("absurd weights", file(#""a":5,"b":1.5,"sessions":12,"cv_mape":0.02,"calibrated":true"#)),
            ("a string for a", file(#""a":"1e-5","b":1.5,"sessions":12,"cv_mape":0.02,"calibrated":true"#)),
            ("fractional sessions", file(#""a":1.95e-5,"b":1.49,"sessions":1.5,"cv_mape":0.02,"calibrated":true"#)),
            ("cv_mape over 1", file(#""a":1.95e-5,"b":1.49,"sessions":12,"cv_mape":7,"calibrated":true"#)),
            ("no calibrated", file(#""a":1.95e-5,"b":1.49,"sessions":12,"cv_mape":0.02"#)),
            ("another format", Array(#"{"format":"x","format_version":1}"#.utf8)),
            ("a path as station", Array(#"{"format":"farmiq-weight-model","format_version":1,"tenant_id":"demo","station":"../etc","a":1.95e-5,"b":1.49,"sessions":12,"calibrated":true}"#.utf8)),
            ("not JSON", Array("a=1\nb=2".utf8)),
            ("over 64 KiB", Array(repeating: UInt8(ascii: " "), count: 70_000)),
            ("nested deeply", Array((String(repeating: "[", count: 100) + String(repeating: "]", count: 100)).utf8)),
        ]
        for (name, bytes) in hostile {
            #expect(throws: WeightModelFile.Invalid.self, "\(name)") { try WeightModelFile.parse(bytes, at: Self.now) }
        }
        // Claiming "calibrated" with too few sessions installs an uncalibrated model (the prior stays in use).
        let claimed = try WeightModelFile.parse(file(#""a":1.95e-5,"b":1.49,"sessions":2,"cv_mape":null,"calibrated":true"#), at: Self.now)
        #expect(!claimed.calibrated)
    }
}
