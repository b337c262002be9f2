/// What the images of a session contribute to its finalization (`contracts.md` §3a): how many there are and
/// what edge-vision-inference found in them. With no analysed image, `inferredCounts` is empty and the bird count
/// comes from `expected_count`.
public struct SessionImages: Sendable, Equatable {
    /// Images stored for the session.
    public var count: Int
    /// The bird count inference found in each analysed image.
    public var inferredCounts: [Int]
    /// Per-animal weight estimated by inference over the session's images, kg (``perAnimalEstimate(_:)``).
    public var averageWeightEstimateKg: Double?
    /// The inference model version (`images.model_version`, e.g. `st-1/v7`); `nil` without an analysed image.
    public var modelVersion: String?
    /// Whether that model was calibrated for the station (`images.calibrated`); `nil` without an analysed image.
    public var calibrated: Bool?

    /// What the images gave; the defaults describe a session without images.
    public init(count: Int = 0, inferredCounts: [Int] = [], averageWeightEstimateKg: Double? = nil, modelVersion: String? = nil, calibrated: Bool? = nil) {
        self.count = count
        self.inferredCounts = inferredCounts
        self.averageWeightEstimateKg = averageWeightEstimateKg
        self.modelVersion = modelVersion
        self.calibrated = calibrated
    }

    /// A session without images.
    public static let none = SessionImages()

    /// The session's per-animal estimate from its analysed images (each its bird count and its mean estimate, kg): the
    /// median estimate of the images whose count is the session's (the median count, rounded), else of all images.
    /// An image that saw one bird too many or too few (two birds pressed together, one hidden) weighs its birds
    /// wrongly; the median leaves out what one odd image says. `nil` without an estimate.
    public static func perAnimalEstimate(_ images: [(count: Int, weightKg: Double?)]) -> Double? {
        let all = images.compactMap(\.weightKg)
        guard let median = ScaleEstimate.median(images.map { Double($0.count) }) else { return nil }
        let count = Int(median.rounded())
        let agreeing = images.filter { $0.count == count }.compactMap(\.weightKg)
        return ScaleEstimate.median(agreeing.isEmpty ? all : agreeing)
    }
}
