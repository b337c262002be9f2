import FarmIQCore
import FarmIQStorage
import Foundation

/// Fits a station's ``WeightModel`` from its own scale (issue: self-calibration): each finalized session with a
/// scale weight and images gives one pair (mean single-bird area in its images, scale weight ÷ bird count).
///
/// The fit is least squares on `ln w = ln a + b · ln area`, `b` pulled towards 1.5 (the constant-density exponent)
/// with the weight `exponentPrior` (ridge), then once more without the pairs whose residual is beyond 3 median
/// absolute deviations (a session whose count was wrong, a bird half off the platform). With fewer than
/// `minimumSessions` pairs, or areas too alike to fix `b` (spread under 5%), `b` is held at 1.5 and only `a` is
/// fitted; with no pair there is no model (the caller uses the prior).
public enum WeightCalibration {
    /// One session's pair: mean single-bird area (pixels of the full-size image) and scale weight ÷ bird count (kg).
    public typealias Pair = CalibrationPair

    /// Pairs needed to fit both coefficients and call the model calibrated.
    public static let minimumSessions = 5
    /// The most recent pairs a fit uses.
    public static let maximumPairs = 60
    /// A fit whose leave-one-out error is above this is not calibrated (the prior stays in use): its pairs disagree,
    /// e.g. a camera moved half-way through them.
    public static let maximumCalibratedError = 0.20
    /// Weight of the prior `b = 1.5` in the exponent's fit, in units of `Σ(ln area − mean)²` (ridge regression).
    static let exponentPrior = 0.5

    /// `pairs` in the order the sessions were finalized: only the last `maximumPairs` are fitted, so that a camera
    /// moved or replaced is relearnt within that many sessions (older pairs describe another view).
    public static func fit(_ pairs: [Pair], version: String) -> WeightModel? {
        let usable = Array(pairs.filter { $0.areaPixels > 0 && $0.weightKg > 0 && $0.areaPixels.isFinite && $0.weightKg.isFinite }
            .suffix(maximumPairs))
        guard !usable.isEmpty else { return nil }
        guard var (a, b) = leastSquares(usable) else { return nil }
        // Drop outliers (beyond 3 MAD of the residuals) and fit again.
        let residuals = usable.map { log($0.weightKg) - (log(a) + b * log($0.areaPixels)) }
        if let mad = medianAbsoluteDeviation(residuals), mad > 0 {
            let center = ScaleEstimate.median(residuals)!
            let kept = zip(usable, residuals).filter { abs($0.1 - center) <= 3 * mad }.map(\.0)
            if kept.count >= 2, let refit = leastSquares(kept) { (a, b) = refit }
        }
        let crossValidated = leaveOneOutMAPE(usable)
        return WeightModel(
            a: a, b: b, version: version,
            calibrated: usable.count >= minimumSessions && (crossValidated ?? 0) <= maximumCalibratedError,
            sessions: usable.count, crossValidatedMAPE: crossValidated)
    }

    /// `(a, b)`; `b` held at 1.5 when the pairs cannot fix it.
    static func leastSquares(_ pairs: [Pair]) -> (a: Double, b: Double)? {
        guard !pairs.isEmpty else { return nil }
        let xs = pairs.map { log($0.areaPixels) }, ys = pairs.map { log($0.weightKg) }
        let n = Double(pairs.count)
        let mx = xs.reduce(0, +) / n, my = ys.reduce(0, +) / n
        var sxx = 0.0, sxy = 0.0
        for (x, y) in zip(xs, ys) {
            sxx += (x - mx) * (x - mx)
            sxy += (x - mx) * (y - my)
        }
        let spread = (xs.max()! - xs.min()!)
        if pairs.count >= minimumSessions, spread >= 0.05, sxx > 0 {
            // Ridge towards the constant-density 1.5: a few sessions of young birds only do not decide the exponent
            // for the whole flock's life; a flock's worth of sessions (Σ(x − x̄)² ≫ 0.5) decides it alone.
            let b = (sxy + exponentPrior * 1.5) / (sxx + exponentPrior)
            if b > 0.5 && b < 3 { return (exp(my - b * mx), b) }
        }
        let b = 1.5
        return (exp(my - b * mx), b)
    }

    /// Mean absolute percentage error of predicting each pair from a fit of the others (nil under 3 pairs).
    static func leaveOneOutMAPE(_ pairs: [Pair]) -> Double? {
        guard pairs.count >= 3 else { return nil }
        var total = 0.0
        for index in pairs.indices {
            var others = pairs
            others.remove(at: index)
            guard let (a, b) = leastSquares(others) else { return nil }
            let predicted = a * pow(pairs[index].areaPixels, b)
            total += abs(predicted - pairs[index].weightKg) / pairs[index].weightKg
        }
        return total / Double(pairs.count)
    }

    static func medianAbsoluteDeviation(_ values: [Double]) -> Double? {
        guard let center = ScaleEstimate.median(values) else { return nil }
        return ScaleEstimate.median(values.map { abs($0 - center) })
    }
}
