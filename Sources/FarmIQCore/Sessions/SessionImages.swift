/// What the images of a session contribute to its finalization (`contracts.md` §3a): how many there are and
/// what inference found in them. The seam for edge-vision-inference: until it exists, `inferredCounts` is
/// empty and the bird count comes from `expected_count`.
public struct SessionImages: Sendable, Equatable {
    /// Images stored for the session.
    public var count: Int
    /// The bird count inference found in each analysed image.
    public var inferredCounts: [Int]
    /// Mean per-animal weight estimated by inference over the session's images, kg.
    public var averageWeightEstimateKg: Double?
    public var modelVersion: String?
    public var calibrated: Bool?

    public init(count: Int = 0, inferredCounts: [Int] = [], averageWeightEstimateKg: Double? = nil, modelVersion: String? = nil, calibrated: Bool? = nil) {
        self.count = count
        self.inferredCounts = inferredCounts
        self.averageWeightEstimateKg = averageWeightEstimateKg
        self.modelVersion = modelVersion
        self.calibrated = calibrated
    }

    public static let none = SessionImages()
}
