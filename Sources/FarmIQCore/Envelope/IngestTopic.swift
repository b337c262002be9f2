/// The two topic kinds devices publish to.
public enum TopicKind: String, Sendable {
    /// `…/telemetry`: `telemetry.reading` messages only.
    case telemetry
    /// `…/event`: every other event type.
    case event
}

/// A parsed device topic: `farmiq/v1/{tenant}/{farm}/{barn}/{device}/{telemetry|event}`.
public struct IngestTopic: Sendable, Hashable {
    /// The four ids of the topic.
    public let address: DeviceAddress
    /// The topic's last segment.
    public let kind: TopicKind

    /// The topic of an already validated address.
    public init(address: DeviceAddress, kind: TopicKind) {
        self.address = address
        self.kind = kind
    }

    /// The topic text, `farmiq/v1/{tenant}/{farm}/{barn}/{device}/{telemetry|event}`.
    public var topic: String { "\(address.topicPrefix)/\(kind.rawValue)" }

    /// Parses and validates a topic; any deviation is an `invalid_topic` (or `invalid_id`) rejection.
    public static func parse(_ topic: String) throws(IngestRejection) -> IngestTopic {
        guard topic.utf8.count <= 400 else { throw IngestRejection(.invalidTopic, "topic longer than 400 bytes") }
        let parts = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 7, parts[0] == "farmiq", parts[1] == "v1" else {
            throw IngestRejection(.invalidTopic, "topic is not farmiq/v1/{tenant}/{farm}/{barn}/{device}/{kind}")
        }
        guard let kind = TopicKind(rawValue: String(parts[6])) else {
            throw IngestRejection(.invalidTopic, "topic kind must be telemetry or event")
        }
        guard let address = DeviceAddress(
            tenantID: String(parts[2]), farmID: String(parts[3]), barnID: String(parts[4]), deviceID: String(parts[5]))
        else {
            throw IngestRejection(.invalidID, "topic ids must be 1-64 chars of [A-Za-z0-9_-]")
        }
        return IngestTopic(address: address, kind: kind)
    }
}
