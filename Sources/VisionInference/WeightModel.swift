import FarmIQStorage
import Foundation

/// Per-animal weight from the area a bird covers in a station's camera: `weight_kg = a · area_px^b`.
///
/// A body of constant density and shape has `weight ∝ area^1.5`; camera height, lens and breed change `a` (and a
/// little `b`), which is why each station fits its own (``WeightCalibration``). `version` is `{station}/v{N}`, or
/// `prior` for ``prior`` — the simulator's camera geometry, documented in the README — used with `calibrated: false`
/// until a station has enough sessions.
public struct WeightModel: Sendable, Equatable {
    public var a: Double
    public var b: Double
    public var version: String
    public var calibrated: Bool
    /// Sessions the fit used, and its leave-one-out mean absolute percentage error (0.03 = 3%).
    public var sessions: Int
    public var crossValidatedMAPE: Double?

    public init(a: Double, b: Double, version: String, calibrated: Bool, sessions: Int, crossValidatedMAPE: Double?) {
        self.a = a
        self.b = b
        self.version = version
        self.calibrated = calibrated
        self.sessions = sessions
        self.crossValidatedMAPE = crossValidatedMAPE
    }

    /// Kilograms for a bird covering `areaPixels` pixels (of a full-size image).
    public func weightKg(areaPixels: Double) -> Double {
        guard areaPixels > 0 else { return 0 }
        return a * pow(areaPixels, b)
    }

    /// The simulator's standard camera (1280×720, about 1.4 m above a 1.0 × 0.62 m platform): a bird's visible area
    /// is `12,800 · weight^(2/3)` px², so `weight = (area / 12,800)^1.5`. A real station's camera differs; its own fit
    /// replaces this once calibrated.
    public static let prior = WeightModel(a: 1 / pow(12_800, 1.5), b: 1.5, version: "prior", calibrated: false, sessions: 0, crossValidatedMAPE: nil)
}

extension WeightModel {
    /// A station's stored model, named `{station}/v{version}`.
    public init(_ stored: StationModel) {
        self.init(
            a: stored.a, b: stored.b, version: stored.versionName, calibrated: stored.calibrated, sessions: stored.sessions,
            crossValidatedMAPE: stored.crossValidatedMAPE)
    }
}
