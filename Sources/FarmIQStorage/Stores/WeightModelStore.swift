import FarmIQCore

/// The per-station weight models of edge-vision-inference and the sessions they learn from (issue: self-calibration).
///
/// A station is known by its sessions' `station_id`, or, for sessions that name none, by the `device_id` that opened
/// them (the scale): ``CalibrationCandidate/station``.
public protocol WeightModelStore: Sendable {
    /// Finalized sessions (status `completed`, with a scale weight and a bird count) whose latest revision has no
    /// `calibration_pairs` row yet, oldest finalization first, with the mean single-bird area of their analysed images.
    func calibrationCandidates(limit: Int) async throws -> [CalibrationCandidate]

    /// Records what `candidate` gave: a usable pair, or `nil` with `note` (why it cannot teach the model). Returns the
    /// station's usable pairs after the change, or `nil` when this revision (or a later one) was already recorded
    /// (another worker did it: nothing to refit).
    func record(_ candidate: CalibrationCandidate, pair: CalibrationPair?, note: String?, at time: Timestamp) async throws -> [CalibrationPair]?

    /// Stores `model` as its station's next version (the `version` it carries is ignored) and returns it as stored.
    func add(_ model: StationModel) async throws -> StationModel

    /// The station's current (highest) version, nil before its first.
    func current(tenantID: String, station: String) async throws -> StationModel?

    /// The current model of the station of session `sessionID`; nil when the session is unknown or its station
    /// has no model yet.
    func current(tenantID: String, sessionID: String) async throws -> StationModel?

    /// The current model of every station (of `tenantID`, or of all tenants), ordered by tenant and station.
    func currentModels(tenantID: String?) async throws -> [StationModel]
}

/// A finalized session revision that may teach its station's model.
public struct CalibrationCandidate: Sendable, Equatable {
    /// The session's tenant.
    public let tenantID: String
    /// The session's id (canonical lower-case UUID).
    public let sessionID: String
    /// The station it teaches: the session's `station_id`, else the `device_id` that opened it.
    public let station: String
    /// The finalized revision (≥ 1) this candidate is, the session's latest.
    public let revision: Int
    /// The session's scale weight (kg) and bird count.
    public let weightKg: Double
    /// The session's bird count.
    public let birdCount: Int
    /// The `weighvision.session.finalized` payload of this revision (its `bird_count_source` and `anomalies`).
    public let resultJSON: String?
    /// Mean over the session's analysed images of their mean single-bird area, pixels of the full-size image; nil
    /// when no image had a bird standing alone.
    public let singleBirdAreaPx: Double?

    /// A candidate of given values (not checked).
    public init(tenantID: String, sessionID: String, station: String, revision: Int, weightKg: Double, birdCount: Int,
                resultJSON: String?, singleBirdAreaPx: Double?) {
        self.tenantID = tenantID
        self.sessionID = sessionID
        self.station = station
        self.revision = revision
        self.weightKg = weightKg
        self.birdCount = birdCount
        self.resultJSON = resultJSON
        self.singleBirdAreaPx = singleBirdAreaPx
    }
}

/// One session's lesson: the mean area one bird covers in its images, and its weight per animal by the scale.
public struct CalibrationPair: Sendable, Equatable {
    /// Pixels of the full-size image.
    public var areaPixels: Double
    /// Scale weight ÷ bird count, kg.
    public var weightKg: Double

    /// A pair of given values (not checked).
    public init(areaPixels: Double, weightKg: Double) {
        self.areaPixels = areaPixels
        self.weightKg = weightKg
    }
}

/// A stored model of one station: `weight_kg = a · area_px^b`, version `{station}/v{version}`.
public struct StationModel: Sendable, Equatable {
    /// How the model was made: `fit` by edge-vision-inference from the station's pairs, or `import`ed by an operator
    /// (`farmiq-edge model import`).
    public enum Origin: String, Sendable { case fit, `import` }

    /// The station's tenant.
    public var tenantID: String
    /// The station: a `station_id`, or the scale's `device_id` for sessions that name none.
    public var station: String
    /// 1, 2, … per `(tenant, station)`, assigned by ``WeightModelStore/add(_:)``.
    public var version: Int
    /// The factor `a` of `weight_kg = a · area_px^b`.
    public var a: Double
    /// The exponent `b` of `weight_kg = a · area_px^b` (1.5 is the constant-density exponent).
    public var b: Double
    /// Sessions the fit used, and its leave-one-out mean absolute percentage error (0.03 = 3%).
    public var sessions: Int
    /// The leave-one-out MAPE; `nil` when not measured (too few sessions, or an import without `cv_mape`).
    public var crossValidatedMAPE: Double?
    /// Whether results made with it say `calibrated: true` (decided by edge-vision-inference when fitting or
    /// importing it).
    public var calibrated: Bool
    /// How the model was made.
    public var origin: Origin
    /// When the model was stored.
    public var createdAt: Timestamp

    /// A model of given values (not checked); ``WeightModelStore/add(_:)`` assigns the `version`.
    public init(tenantID: String, station: String, version: Int = 0, a: Double, b: Double, sessions: Int, crossValidatedMAPE: Double?,
                calibrated: Bool, origin: Origin, createdAt: Timestamp) {
        self.tenantID = tenantID
        self.station = station
        self.version = version
        self.a = a
        self.b = b
        self.sessions = sessions
        self.crossValidatedMAPE = crossValidatedMAPE
        self.calibrated = calibrated
        self.origin = origin
        self.createdAt = createdAt
    }

    /// `{station}/v{version}`, as results and finalized sessions name it.
    public var versionName: String { "\(station)/v\(version)" }
}
