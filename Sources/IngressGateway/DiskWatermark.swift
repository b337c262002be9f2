/// The database volume's hard watermark: above it the gateway commits and acknowledges nothing, so
/// the broker keeps the messages queued (and devices retry) instead of the edge dropping anything.
public struct DiskWatermark: Sendable {
    /// A path on the database volume.
    public var path: String
    /// Used fraction at which intake pauses (e.g. 0.95).
    public var hardRatio: Double
    /// Used fraction of the file system holding a path; nil if unknown (then intake is not paused).
    public var usage: @Sendable (String) -> Double?

    public init(path: String, hardRatio: Double, usage: @escaping @Sendable (String) -> Double?) {
        self.path = path
        self.hardRatio = hardRatio
        self.usage = usage
    }

    /// The used fraction if it is at or above the hard watermark, else nil.
    public func exceeded() -> Double? {
        guard let ratio = usage(path), ratio >= hardRatio else { return nil }
        return ratio
    }
}
