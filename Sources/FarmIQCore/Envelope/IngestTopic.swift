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
        // One pass over the bytes (no split into seven substrings): the gateway parses every message's topic.
        var topic = topic
        let parsed: Result<IngestTopic, IngestRejection> = topic.withUTF8 { bytes in
            var cuts: (Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0)
            var slashes = 0
            for index in bytes.indices where bytes[index] == UInt8(ascii: "/") {
                switch slashes {
                case 0: cuts.0 = index
                case 1: cuts.1 = index
                case 2: cuts.2 = index
                case 3: cuts.3 = index
                case 4: cuts.4 = index
                case 5: cuts.5 = index
                default: break
                }
                slashes += 1
            }
            func segment(_ from: Int, _ to: Int) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: bytes[from..<to]) }
            guard slashes == 6, segment(0, cuts.0).elementsEqual("farmiq".utf8), segment(cuts.0 + 1, cuts.1).elementsEqual("v1".utf8) else {
                return .failure(IngestRejection(.invalidTopic, "topic is not farmiq/v1/{tenant}/{farm}/{barn}/{device}/{kind}"))
            }
            let kindBytes = segment(cuts.5 + 1, bytes.count)
            let kind: TopicKind
            if kindBytes.elementsEqual("telemetry".utf8) {
                kind = .telemetry
            } else if kindBytes.elementsEqual("event".utf8) {
                kind = .event
            } else {
                return .failure(IngestRejection(.invalidTopic, "topic kind must be telemetry or event"))
            }
            let ids = [segment(cuts.1 + 1, cuts.2), segment(cuts.2 + 1, cuts.3), segment(cuts.3 + 1, cuts.4), segment(cuts.4 + 1, cuts.5)]
            guard ids.allSatisfy(Identifier.isValidName) else {
                return .failure(IngestRejection(.invalidID, "topic ids must be 1-64 chars of [A-Za-z0-9_-]"))
            }
            let address = DeviceAddress(
                validatedTenantID: String(decoding: ids[0], as: UTF8.self), farmID: String(decoding: ids[1], as: UTF8.self),
                barnID: String(decoding: ids[2], as: UTF8.self), deviceID: String(decoding: ids[3], as: UTF8.self))
            return .success(IngestTopic(address: address, kind: kind))
        }
        return try parsed.get()
    }
}
