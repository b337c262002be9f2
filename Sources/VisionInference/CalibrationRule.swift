import FarmIQCore
import FarmIQStorage

/// Which finalized sessions teach their station's model, and what they teach (issue: self-calibration).
///
/// A session gives the pair (mean single-bird area in its images, scale weight ÷ bird count) when its count came
/// from its images (`bird_count_source` `images`, `contracts.md` §3a), its scale had stable readings, its images
/// agree with `expected_count` (no `count_mismatch`), and at least one image had a bird standing alone. Anything
/// else is recorded as not used, with the reason. `scale_image_disagreement` does not exclude a session: that
/// disagreement is what calibration corrects.
public enum CalibrationRule {
    /// Anomalies (§3a) that make a session's weight per animal untrustworthy.
    public static let excludingAnomalies: Set<String> = ["no_readings", "no_stable_readings", "count_mismatch"]

    /// The pair `candidate` teaches, or why it teaches nothing.
    public static func lesson(_ candidate: CalibrationCandidate) -> Result<CalibrationPair, Refusal> {
        guard candidate.birdCount > 0, candidate.weightKg > 0, candidate.weightKg.isFinite else { return .failure(.noWeight) }
        let result = candidate.resultJSON.flatMap { try? JSONParser.parse($0) }
        guard result?["bird_count_source"] == .string("images") else { return .failure(.countNotFromImages) }
        if case .array(let anomalies)? = result?["anomalies"] {
            for case .string(let anomaly) in anomalies where excludingAnomalies.contains(anomaly) {
                return .failure(.anomaly(anomaly))
            }
        }
        guard let area = candidate.singleBirdAreaPx, area > 0, area.isFinite else { return .failure(.noSingleBird) }
        return .success(CalibrationPair(areaPixels: area, weightKg: candidate.weightKg / Double(candidate.birdCount)))
    }

    /// Why a session teaches nothing (stored as the pair's `note`).
    public enum Refusal: Error, Equatable, CustomStringConvertible {
        case noWeight
        case countNotFromImages
        case anomaly(String)
        case noSingleBird

        public var description: String {
            switch self {
            case .noWeight: "no scale weight or bird count"
            case .countNotFromImages: "bird count not from images"
            case .anomaly(let anomaly): "anomaly \(anomaly)"
            case .noSingleBird: "no image with a bird standing alone"
            }
        }
    }
}
