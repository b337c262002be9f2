import FarmIQCore
import FarmIQStorage
import Foundation

/// One image through the whole pipeline (``JPEGDecoder`` → ``BirdDetector`` → ``WeightModel``), and the events the
/// result becomes (`contracts.md` §4): `inference.completed` with the count, the birds' features in pixels of the
/// full-size image and their weight estimates, or `inference.failed` with a reason for an image that can never be
/// analysed (corrupt, too small, no platform in view, not a top view).
public struct ImageAnalysis: Sendable {
    let detector = BirdDetector()
    let model: WeightModel

    public init(model: WeightModel = .prior) {
        self.model = model
    }

    /// Analyses `jpeg`; images wider than 1000 pixels are decoded at half size (features are scaled back). The mean
    /// weight estimate is over the birds that stand alone when there are any: a blob of touching birds only gives each
    /// its share of the area, an estimate of their mean at best.
    /// `singleBirdArea`: the camera's recent area of one bird, pixels² of the full-size image (``SingleBirdAreas``).
    public func analyse(_ jpeg: [UInt8], singleBirdArea: Double? = nil) -> InferenceResult {
        var stages = StageTimes()
        return analyse(jpeg, singleBirdArea: singleBirdArea, stages: &stages)
    }

    /// Time spent in each stage of one analysis, microseconds (a stage not reached: 0).
    public struct StageTimes: Sendable, Equatable {
        /// TurboJPEG: header and luminance decode.
        public var decode: Int64 = 0
        /// ``BirdDetector``: platform, lighting, thresholds, components, touching birds.
        public var detect: Int64 = 0
        /// Features, weights and the result's JSON.
        public var estimate: Int64 = 0

        public init() {}
    }

    /// ``analyse(_:singleBirdArea:)``, with the time of each stage in `stages`.
    public func analyse(_ jpeg: [UInt8], singleBirdArea: Double? = nil, stages: inout StageTimes) -> InferenceResult {
        let clock = ContinuousClock()
        let start = clock.now
        var stageStart = start
        func elapsed() -> Double { (clock.now - start).seconds * 1000 }
        /// Microseconds since the last stage ended.
        func lap() -> Int64 {
            let now = clock.now
            defer { stageStart = now }
            return Int64(((now - stageStart).seconds * 1_000_000).rounded())
        }
        defer { stages.estimate = stages.detect > 0 ? lap() : 0 }
        var scale = 1
        let image: GrayImage
        switch JPEGDecoder.luminance(jpeg, scale: { width, _ in
            scale = width > 1000 ? 2 : 1
            return scale
        }) {
        case .success(let decoded): image = decoded
        case .failure(let failure):
            stages.decode = lap()
            return Self.failed(failure.reason, durationMs: elapsed())
        }
        stages.decode = lap()
        let detection: BirdDetector.Detection
        let found = detector.detect(image, singleBirdArea: singleBirdArea.map { $0 / Double(scale * scale) })
        stages.detect = max(1, lap())
        switch found {
        case .success(let found): detection = found
        case .failure(let failure): return Self.failed(failure.reason, durationMs: elapsed())
        }
        let area = Double(scale * scale), length = Double(scale)
        var birds: [String] = []
        var weights: [Double] = [], singleWeights: [Double] = []
        var singleAreas: [Double] = []
        for bird in detection.birds {
            let areaPixels = bird.areaPixels * area
            let weight = model.weightKg(areaPixels: areaPixels)
            weights.append(weight)
            if bird.sharedWith == 1 {
                singleAreas.append(areaPixels)
                singleWeights.append(weight)
            }
            birds.append("{\"area_px\":\(Self.number(areaPixels)),\"major_axis_px\":\(Self.number(bird.majorAxisPixels * length)),"
                + "\"minor_axis_px\":\(Self.number(bird.minorAxisPixels * length)),\"weight_kg_estimate\":\(Self.number(weight))}")
        }
        return InferenceResult(
            status: .completed, birdCount: detection.count, birdsJSON: "[\(birds.joined(separator: ","))]",
            averageWeightKg: Self.mean(singleWeights) ?? Self.mean(weights),
            modelVersion: model.version, calibrated: model.calibrated, reason: nil, durationMs: elapsed(),
            singleBirdAreaPx: singleAreas.isEmpty ? nil : singleAreas.reduce(0, +) / Double(singleAreas.count))
    }

    static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    static func failed(_ reason: String, durationMs: Double) -> InferenceResult {
        InferenceResult(status: .failed, birdCount: nil, birdsJSON: nil, averageWeightKg: nil, modelVersion: nil, calibrated: nil,
                        reason: reason, durationMs: durationMs)
    }

    /// The outbox event of `result` for `media` (`device_id` the camera that uploaded it).
    public static func event(for media: MediaObject, result: InferenceResult, eventID: String, at time: Timestamp) -> OutboxEvent {
        var payload = "{\"media_id\":\"\(media.mediaID)\",\"session_id\":" + (media.sessionID.map { "\"\($0)\"" } ?? "null")
        let type: String
        switch result.status {
        case .completed:
            type = "inference.completed"
            payload += ",\"model_version\":"
            JSONWriter.writeString(result.modelVersion ?? "prior", into: &payload)
            payload += ",\"calibrated\":\(result.calibrated ?? false),\"bird_count\":\(result.birdCount ?? 0),\"birds\":\(result.birdsJSON ?? "[]")"
            payload += ",\"avg_weight_kg_estimate\":\(result.averageWeightKg.map(number) ?? "null"),\"duration_ms\":\(number(result.durationMs))}"
        case .failed:
            type = "inference.failed"
            payload += ",\"reason\":"
            JSONWriter.writeString(result.reason ?? "unknown", into: &payload)
            payload += "}"
        }
        return OutboxEvent(
            address: media.address,
            header: EnvelopeHeader(schemaVersion: 1, eventID: eventID, eventType: type, occurredAt: time, traceID: nil),
            payloadJSON: payload)
    }

    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        return JSONNumber((value * 1000).rounded() / 1000).text
    }
}
