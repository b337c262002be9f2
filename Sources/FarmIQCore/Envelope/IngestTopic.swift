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
        // Split as bytes, not as a String (whose split walks grapheme clusters and makes seven substrings): the
        // gateway parses every message's topic.
        var topic = topic
        let parsed: Result<IngestTopic, IngestRejection> = topic.withUTF8 { bytes in
            let parts = bytes.split(separator: UInt8(ascii: "/"), maxSplits: 7, omittingEmptySubsequences: false)
            guard parts.count == 7, parts[0].elementsEqual("farmiq".utf8), parts[1].elementsEqual("v1".utf8) else {
                return .failure(IngestRejection(.invalidTopic, "topic is not farmiq/v1/{tenant}/{farm}/{barn}/{device}/{kind}"))
            }
            let kind: TopicKind
            if parts[6].elementsEqual("telemetry".utf8) {
                kind = .telemetry
            } else if parts[6].elementsEqual("event".utf8) {
                kind = .event
            } else {
                return .failure(IngestRejection(.invalidTopic, "topic kind must be telemetry or event"))
            }
            guard parts[2...5].allSatisfy(Identifier.isValidName) else {
                return .failure(IngestRejection(.invalidID, "topic ids must be 1-64 chars of [A-Za-z0-9_-]"))
            }
            let address = DeviceAddress(
                validatedTenantID: String(decoding: parts[2], as: UTF8.self), farmID: String(decoding: parts[3], as: UTF8.self),
                barnID: String(decoding: parts[4], as: UTF8.self), deviceID: String(decoding: parts[5], as: UTF8.self))
            return .success(IngestTopic(address: address, kind: kind))
        }
        return try parsed.get()
    }
}
