/// One finalized revision of a session: the numbers of `contracts.md` §3a and the
/// `weighvision.session.finalized` payload.
///
/// Anomalies (a fixed list, documented in the README):
/// - `no_readings`: the session has no weight reading;
/// - `no_stable_readings`: no reading was stable; the weight is the median of all;
/// - `count_mismatch`: the images' count differs from `expected_count`;
/// - `scale_image_disagreement`: scale and image weight estimates per animal are more than 10% apart;
/// - `late_events`: events arrived after an earlier finalization (this is revision 2 or later);
/// - `not_started`: no `started` event was received.
public struct SessionFinalization: Sendable, Equatable {
    /// Where ``birdCount`` comes from (`bird_count_source`): `images` (the median of the images' inferred counts),
    /// `expected_count` (the `started` event's), or `unknown` (neither).
    public enum CountSource: String, Sendable { case images, expectedCount = "expected_count", unknown }

    /// The session's `session_id`.
    public let sessionID: String
    /// This revision: 1 for the first finalization, one more for each later one (`contracts.md` §3a).
    public let revision: Int
    /// `completed`, `cancelled` or `timed_out` (``WeighSession/closingStatus``).
    public let status: WeighSession.Status
    /// The scale estimate over the session's readings.
    public let scale: ScaleEstimate
    /// The median of the images' inferred counts, rounded, else `expected_count`; `nil` when unknown.
    public let birdCount: Int?
    /// Where ``birdCount`` comes from.
    public let countSource: CountSource
    /// Scale weight divided by the bird count, kg.
    public let averageWeightKg: Double?
    /// Anomaly words from the list above, in that order; empty when none.
    public let anomalies: [String]
    /// The `weighvision.session.finalized` payload (JSON text).
    public let payloadJSON: String

    /// Closes revision `session.revision + 1` of `session`.
    public init(session: WeighSession, readings: [(weightKg: Double, stable: Bool)], images: SessionImages) {
        sessionID = session.sessionID
        revision = session.revision + 1
        status = session.closingStatus
        scale = ScaleEstimate(readings: readings)
        if let median = ScaleEstimate.median(images.inferredCounts.map(Double.init)) {
            birdCount = Int(median.rounded())
            countSource = .images
        } else if let expected = session.expectedCount {
            birdCount = expected
            countSource = .expectedCount
        } else {
            birdCount = nil
            countSource = .unknown
        }
        if let weight = scale.weightKg, let count = birdCount, count > 0 {
            averageWeightKg = weight / Double(count)
        } else {
            averageWeightKg = nil
        }
        var anomalies: [String] = []
        if readings.isEmpty { anomalies.append("no_readings") }
        if scale.noStableReadings { anomalies.append("no_stable_readings") }
        if countSource == .images, let expected = session.expectedCount, birdCount != expected { anomalies.append("count_mismatch") }
        if let scaleAverage = averageWeightKg, let imageAverage = images.averageWeightEstimateKg, scaleAverage > 0,
            abs(imageAverage - scaleAverage) / scaleAverage > 0.10 {
            anomalies.append("scale_image_disagreement")
        }
        if session.lateEvents { anomalies.append("late_events") }
        if session.startedAt == nil { anomalies.append("not_started") }
        self.anomalies = anomalies
        payloadJSON = Self.payload(session: session, revision: revision, status: status, scale: scale, birdCount: birdCount,
                                   countSource: countSource, averageWeightKg: averageWeightKg, images: images, anomalies: anomalies)
    }

    /// Kilograms to the gram, as JSON numbers.
    static func kg(_ value: Double?) -> JSONValue {
        guard let value else { return .null }
        return .number(JSONNumber((value * 1000).rounded() / 1000))
    }

    static func payload(
        session: WeighSession, revision: Int, status: WeighSession.Status, scale: ScaleEstimate, birdCount: Int?, countSource: CountSource,
        averageWeightKg: Double?, images: SessionImages, anomalies: [String]
    ) -> String {
        func string(_ text: String?) -> JSONValue { text.map { .string($0) } ?? .null }
        func int(_ value: Int?) -> JSONValue { value.map { .number(JSONNumber($0)) } ?? .null }
        let document: JSONValue = .object([
            ("session_id", .string(session.sessionID)),
            ("station_id", string(session.stationID)),
            ("status", .string(status.rawValue)),
            ("revision", .number(JSONNumber(revision))),
            ("started_at", .string((session.startedAt ?? session.firstOccurredAt).rfc3339)),
            ("ended_at", .string((session.endedAt ?? session.lastOccurredAt).rfc3339)),
            ("animal", string(session.animal)),
            ("expected_count", int(session.expectedCount)),
            ("scale", .object([
                ("readings", .number(JSONNumber(scale.readings))), ("stable", .number(JSONNumber(scale.stable))),
                ("used", .number(JSONNumber(scale.used))), ("weight_kg", kg(scale.weightKg)), ("mad_kg", kg(scale.madKg)),
            ])),
            ("bird_count", int(birdCount)),
            ("bird_count_source", .string(countSource.rawValue)),
            ("avg_weight_kg", kg(averageWeightKg)),
            ("images", .object([
                ("count", .number(JSONNumber(images.count))), ("inferred", .number(JSONNumber(images.inferredCounts.count))),
                ("avg_weight_kg_estimate", kg(images.averageWeightEstimateKg)), ("model_version", string(images.modelVersion)),
                ("calibrated", images.calibrated.map { .bool($0) } ?? .null),
            ])),
            ("anomalies", .array(anomalies.map { .string($0) })),
        ])
        return JSONWriter.write(document)
    }

    /// The outbox event: `weighvision.session.finalized` from the device that opened the session, with a new
    /// event id per revision (`contracts.md` §3a, §4).
    public func outboxEvent(session: WeighSession, eventID: String, at time: Timestamp) -> OutboxEvent {
        OutboxEvent(
            address: session.address,
            header: EnvelopeHeader(schemaVersion: 1, eventID: eventID, eventType: "weighvision.session.finalized", occurredAt: time, traceID: nil),
            payloadJSON: payloadJSON)
    }
}
