import FarmIQCore
import Foundation
import VisionInference

/// `farmiq-edge bench inference`: the image pipeline of edge-vision-inference on the simulator's top views
/// (``TopViewScene``, 640×480, JPEG q85, 1–4 birds of 1.7–2.7 kg, generated from `seed`):
///
/// - ms per image for the TurboJPEG luminance decode alone and for the whole pipeline (decode, thresholds, opening,
///   components, features, weight) on one core, and their ratio;
/// - images/s with one worker per core;
/// - accuracy against the ground truth: exact bird-count rate, and the per-animal weight's mean absolute
///   percentage error with the prior model (the simulator's geometry; no self-calibration yet).
public enum InferenceBenchmark {
    public static func run(images: Int, seed: UInt64) async -> String {
        var random = SplitMix64(seed: seed)
        var samples: [(jpeg: [UInt8], weights: [Double])] = []
        for _ in 0..<images {
            let count = Int.random(in: 1...4, using: &random)
            let weights = (0..<count).map { _ in Double.random(in: 1.7...2.7, using: &random) }
            let scene = TopViewScene(weightsKg: weights, using: &random)
            samples.append((scene.jpeg(using: &random), weights))
        }
        let clock = ContinuousClock()
        var start = clock.now
        for sample in samples { _ = JPEGDecoder.luminance(sample.jpeg) }
        let decodeMs = (clock.now - start).seconds * 1000 / Double(images)

        let detector = BirdDetector()
        var exact = 0, failures = 0
        var errors: [Double] = []
        start = clock.now
        for sample in samples {
            guard case .success(let image) = JPEGDecoder.luminance(sample.jpeg), case .success(let detection) = detector.detect(image) else {
                failures += 1
                continue
            }
            if detection.count == sample.weights.count { exact += 1 }
            if detection.count == sample.weights.count, detection.count > 0 {
                let estimate = detection.birds.map { WeightModel.prior.weightKg(areaPixels: $0.areaPixels) }.reduce(0, +) / Double(detection.count)
                let truth = sample.weights.reduce(0, +) / Double(sample.weights.count)
                errors.append(abs(estimate - truth) / truth)
            }
        }
        let pipelineMs = (clock.now - start).seconds * 1000 / Double(images)

        let workers = ProcessInfo.processInfo.activeProcessorCount
        let jpegs = samples.map(\.jpeg)
        start = clock.now
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    for index in stride(from: worker, to: jpegs.count, by: workers) {
                        if case .success(let image) = JPEGDecoder.luminance(jpegs[index]) { _ = detector.detect(image) }
                    }
                }
            }
        }
        let parallelRate = Double(images) / (clock.now - start).seconds
        let mape = errors.isEmpty ? 0 : errors.reduce(0, +) / Double(errors.count)
        return [
            "inference benchmark: \(images) top views 640×480 q85 (1–4 birds), seed \(seed), \(workers) cores",
            String(format: "  decode only:      %.2f ms/image (TurboJPEG luminance)", decodeMs),
            String(format: "  whole pipeline:   %.2f ms/image on one core (%.1f× the decode)", pipelineMs, pipelineMs / decodeMs),
            String(format: "  all workers:      %.0f images/s (%d workers)", parallelRate, workers),
            String(format: "  bird count exact: %.1f%% (%d failures)", Double(exact) / Double(images) * 100, failures),
            String(format: "  weight MAPE:      %.2f%% per animal, prior model (the simulator's geometry), images with the right count", mape * 100),
        ].joined(separator: "\n")
    }
}
