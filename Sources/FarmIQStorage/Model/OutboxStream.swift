import FarmIQCore

/// Names of outbox consumer streams (one cursor and one lease each).
public enum OutboxStream {
    /// The cloud sync forwarder.
    public static let cloud = "cloud"
    /// The outbox benchmark's own stream.
    public static let bench = "bench"
}
