/// The internal wire format between the gateway and the owners of the data in cluster mode:
/// `POST /internal/v1/telemetry/batches` (edge-telemetry-timeseries) and `POST /internal/v1/weighvision/batches`
/// (edge-weighvision-session) with `{"messages":[{"topic","received_at_ms","envelope"}]}`, where `envelope` is the
/// device's JSON as received. The answer is `{"inserted":n,"duplicates":m}`.
public enum GatewayBatch {
    /// The batch endpoint of edge-telemetry-timeseries (telemetry messages).
    public static let path = "/internal/v1/telemetry/batches"
    /// The batch endpoint of edge-weighvision-session (``SessionEvent/eventTypes`` events).
    public static let sessionPath = "/internal/v1/weighvision/batches"
    /// Upper bound of a request body: 5000 messages of 64 KiB would be far more; the gateway sends ~500 small ones.
    public static let maxBodyBytes = 64 * 1024 * 1024

    /// One message of a batch.
    public struct Item: Sendable {
        /// The MQTT topic it arrived on.
        public let topic: String
        /// When the gateway received it; sent as `received_at_ms`, milliseconds since the Unix epoch.
        public let receivedAt: Timestamp
        /// The device's envelope: the JSON bytes as received.
        public let envelope: [UInt8]

        /// An item of given parts (not checked here).
        public init(topic: String, receivedAt: Timestamp, envelope: [UInt8]) {
            self.topic = topic
            self.receivedAt = receivedAt
            self.envelope = envelope
        }
    }

    /// The envelope bytes must be one valid JSON document (the gateway validated them).
    public static func encode(_ items: [Item]) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(items.reduce(32) { $0 + $1.envelope.count + $1.topic.utf8.count + 48 })
        body.append(contentsOf: "{\"messages\":[".utf8)
        for (offset, item) in items.enumerated() {
            if offset > 0 { body.append(UInt8(ascii: ",")) }
            var head = "{\"topic\":"
            JSONWriter.writeString(item.topic, into: &head)
            head += ",\"received_at_ms\":\(item.receivedAt.millisecondsSinceEpoch),\"envelope\":"
            body.append(contentsOf: head.utf8)
            body.append(contentsOf: item.envelope)
            body.append(UInt8(ascii: "}"))
        }
        body.append(contentsOf: "]}".utf8)
        return body
    }

    /// Parses and re-validates a batch of telemetry messages.
    public static func decode(_ body: [UInt8], validator: EnvelopeValidator) throws(EdgeError) -> [TelemetryMessage] {
        var telemetry: [TelemetryMessage] = []
        for (index, message) in try decodeMessages(body, validator: validator).enumerated() {
            guard case .telemetry(let item) = message else { throw EdgeError(.invalidRequest, "message \(index) is not a telemetry message") }
            telemetry.append(item)
        }
        return telemetry
    }

    /// Parses and re-validates a batch of device events whose types are all in `eventTypes`.
    public static func decodeEvents(_ body: [UInt8], validator: EnvelopeValidator, eventTypes: Set<String>) throws(EdgeError) -> [DeviceEvent] {
        var events: [DeviceEvent] = []
        for (index, message) in try decodeMessages(body, validator: validator).enumerated() {
            guard case .event(let event) = message, eventTypes.contains(event.header.eventType) else {
                throw EdgeError(.invalidRequest, "message \(index) is not one of \(eventTypes.sorted().joined(separator: ", "))")
            }
            events.append(event)
        }
        return events
    }

    /// Parses and re-validates a batch. Any invalid message fails the whole request: the gateway
    /// only sends messages it validated, so this is a caller bug, not device input to record.
    public static func decodeMessages(_ body: [UInt8], validator: EnvelopeValidator) throws(EdgeError) -> [IngestMessage] {
        let document: JSONValue
        do {
            document = try JSONParser.parse(body, maxDepth: JSONParser.defaultMaxDepth + 2)
        } catch {
            throw EdgeError(.invalidRequest, "body is not JSON: \(error.description)")
        }
        guard case .array(let items)? = document["messages"] else {
            throw EdgeError(.invalidRequest, "body must be {\"messages\": [...]}")
        }
        var messages: [IngestMessage] = []
        messages.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            guard case .string(let topicText)? = item["topic"], case .number(let received)? = item["received_at_ms"],
                let receivedMS = received.integerValue, let envelope = item["envelope"]
            else {
                throw EdgeError(.invalidRequest, "message \(index) needs topic, received_at_ms and envelope")
            }
            // The device-clock rule is checked against the receipt time: one in the future would defeat it.
            guard Int64(receivedMS) <= Timestamp.now().millisecondsSinceEpoch + validator.maxClockAheadMilliseconds else {
                throw EdgeError(.invalidRequest, "message \(index): received_at_ms is in the future")
            }
            do throws(IngestRejection) {
                let topic = try IngestTopic.parse(topicText)
                messages.append(try validator.validateDocument(
                    topic: topic, document: envelope, receivedAt: Timestamp(millisecondsSinceEpoch: Int64(receivedMS))))
            } catch {
                throw EdgeError(.invalidRequest, "message \(index) is invalid: \(error.description)")
            }
        }
        return messages
    }

    /// The answer body, `{"inserted":n,"duplicates":m}`.
    public static func encodeCounts(_ counts: IngestCounts) -> String {
        "{\"inserted\":\(counts.inserted),\"duplicates\":\(counts.duplicates)}"
    }

    /// Parses the answer body; throws `.upstreamUnavailable` unless it is `{"inserted":n,"duplicates":m}` with integers.
    public static func decodeCounts(_ body: [UInt8]) throws(EdgeError) -> IngestCounts {
        guard let document = try? JSONParser.parse(body),
            case .number(let inserted)? = document["inserted"], let i = inserted.integerValue,
            case .number(let duplicates)? = document["duplicates"], let d = duplicates.integerValue
        else {
            throw EdgeError(.upstreamUnavailable, "the service answered an unreadable body")
        }
        return IngestCounts(inserted: i, duplicates: d)
    }
}
