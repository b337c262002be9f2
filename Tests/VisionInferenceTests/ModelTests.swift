import Foundation
import MediaStore
import Prometheus
import Testing
@testable import VisionInference

@Suite struct ModelTests {
    @Test func thePriorFollowsTheSimulatorGeometry() {
        // area = 12,800 · w^(2/3) (the standard 1280×720 camera): a 2.2 kg bird covers 21,640 px².
        let area = 12_800 * pow(2.2, 2.0 / 3.0)
        #expect(abs(WeightModel.prior.weightKg(areaPixels: area) - 2.2) < 1e-9)
        #expect(!WeightModel.prior.calibrated)
    }

    @Test func calibrationRecoversAStationsCoefficientsDespiteAnOutlier() throws {
        // A camera higher than the prior's: a = 2e-5, b = 1.45.
        var pairs = stride(from: 3000.0, through: 9000.0, by: 500.0).map { area in
            WeightCalibration.Pair(areaPixels: area, weightKg: 2e-5 * pow(area, 1.45) * (1 + 0.01 * sin(area)))
        }
        pairs.append(.init(areaPixels: 5000, weightKg: 9))  // a session whose count was wrong
        let model = try #require(WeightCalibration.fit(pairs, version: "st-1/v3"))
        #expect(model.calibrated)
        #expect(abs(model.b - 1.45) < 0.05)
        #expect(abs(model.weightKg(areaPixels: 6000) - 2e-5 * pow(6000, 1.45)) / (2e-5 * pow(6000, 1.45)) < 0.02)
        #expect(try #require(model.crossValidatedMAPE) < 0.2)
    }

    @Test func fewSessionsHoldTheExponentAndAreNotCalibrated() throws {
        let model = try #require(WeightCalibration.fit([.init(areaPixels: 6000, weightKg: 2.0), .init(areaPixels: 6100, weightKg: 2.05)], version: "st-1/v1"))
        #expect(model.b == 1.5)
        #expect(!model.calibrated)
        #expect(WeightCalibration.fit([], version: "x") == nil)
        #expect(WeightCalibration.fit([.init(areaPixels: 0, weightKg: 2), .init(areaPixels: .nan, weightKg: 1)], version: "x") == nil)
    }

    @Test func hostileJPEGsAreClearFailures() {
        var pixels = [UInt8](repeating: 0, count: 64 * 48)
        for index in pixels.indices { pixels[index] = UInt8(truncatingIfNeeded: index &* 7) }
        let jpeg = JPEGEncoder.grayscale(pixels, width: 64, height: 48)!
        guard case .success(let image) = JPEGDecoder.luminance(jpeg) else { Issue.record("a valid JPEG failed"); return }
        #expect(image.width == 64 && image.height == 48)
        guard case .success(let half) = JPEGDecoder.luminance(jpeg, scale: 2) else { Issue.record("scaled decode failed"); return }
        #expect(half.width == 32 && half.height == 24)
        guard case .failure(.corrupt) = JPEGDecoder.luminance(Array(jpeg.prefix(jpeg.count / 2))) else { Issue.record("truncated decoded"); return }
        guard case .failure(.corrupt) = JPEGDecoder.luminance(Array("not a jpeg at all".utf8)) else { Issue.record("text decoded"); return }
        let tiny = JPEGEncoder.grayscale([128], width: 1, height: 1)!
        guard case .failure(.tooSmall) = JPEGDecoder.luminance(tiny) else { Issue.record("1×1 analysed"); return }
    }

    @Test("a progressive JPEG and a CMYK JPEG decode to the same luminance as the baseline gray one")
    func progressiveAndCMYKDecode() throws {
        let scene = SyntheticScene(noise: 4, ellipses: [.init(cx: 100, cy: 90, a: 30, b: 18), .init(cx: 200, cy: 150, a: 32, b: 19, angle: 0.8)])
        let image = scene.image()
        let baseline = try #require(JPEGEncoder.grayscale(image.pixels, width: image.width, height: image.height, quality: 92))
        let progressive = try #require(JPEGEncoder.encode(image.pixels, layout: .gray, width: image.width, height: image.height, quality: 92, progressive: true))
        // Progressive files carry a SOF2 frame header; baseline ones SOF0.
        func hasMarker(_ file: [UInt8], _ marker: UInt8) -> Bool { zip(file, file.dropFirst()).contains { $0 == 0xFF && $1 == marker } }
        #expect(hasMarker(progressive, 0xC2) && !hasMarker(progressive, 0xC0))
        #expect(hasMarker(baseline, 0xC0) && !hasMarker(baseline, 0xC2))
        // CMYK of the same image: black ink only (K = 255 − gray).
        let cmyk = image.pixels.flatMap { [0, 0, 0, 255 - $0] as [UInt8] }
        let fourComponent = try #require(JPEGEncoder.encode(cmyk, layout: .cmyk, width: image.width, height: image.height, quality: 92))
        let reference = try JPEGDecoder.luminance(baseline).get()
        for (name, file) in [("progressive", progressive), ("cmyk", fourComponent)] {
            let decoded = try JPEGDecoder.luminance(file).get()
            #expect(decoded.width == image.width && decoded.height == image.height, "\(name)")
            let difference = zip(decoded.pixels, reference.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +) / decoded.pixels.count
            #expect(difference <= 3, "\(name): mean difference \(difference) levels")
            // And the pipeline counts the same birds in each, at full and at half size.
            #expect(try BirdDetector().detect(decoded).get().count == 2, "\(name)")
            #expect(try BirdDetector().detect(JPEGDecoder.luminance(file, scale: 2).get()).get().count == 2, "\(name), half size")
        }
        // Truncated progressive and CMYK files are clear failures too.
        for file in [progressive, fourComponent] {
            guard case .failure(.corrupt) = JPEGDecoder.luminance(Array(file.prefix(file.count * 2 / 3))) else { Issue.record("a truncated file decoded"); return }
        }
    }

    @Test("a colour (4:2:0) JPEG decodes to its luma")
    func colourDecodesToLuma() throws {
        // Pure red, green and blue bands: luma 76, 150 and 29 (Rec. 601).
        let width = 48, height = 48
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height { for x in 0..<width { rgb[3 * (y * width + x) + y / 16] = 255 } }
        let jpeg = try #require(JPEGEncoder.encode(rgb, layout: .rgb, width: width, height: height, quality: 95))
        let luma = try JPEGDecoder.luminance(jpeg).get()
        for (row, expected) in [(8, 76), (24, 150), (40, 29)] {
            #expect(abs(Int(luma[24, row]) - expected) <= 4, "row \(row): \(luma[24, row])")
        }
    }

    @Test("each stage's time is measured and reaches the metrics; a file that fails to decode has no detect time")
    func stageTimesReachTheMetrics() throws {
        let image = SyntheticScene(noise: 4, ellipses: [.init(cx: 100, cy: 90, a: 30, b: 18)]).image()
        let jpeg = try #require(JPEGEncoder.grayscale(image.pixels, width: image.width, height: image.height))
        var stages = ImageAnalysis.StageTimes()
        let result = ImageAnalysis().analyse(jpeg, stages: &stages)
        #expect(result.birdCount == 1)
        #expect(stages.decode > 0 && stages.detect > 0 && stages.estimate > 0, "\(stages)")
        #expect(Double(stages.decode + stages.detect + stages.estimate) <= result.durationMs * 1000 + 50)

        var broken = ImageAnalysis.StageTimes()
        let failed = ImageAnalysis().analyse(Array(jpeg.prefix(jpeg.count / 2)), stages: &broken)
        #expect(failed.status == .failed)
        #expect(broken.decode > 0 && broken.detect == 0 && broken.estimate == 0, "\(broken)")

        let registry = PrometheusCollectorRegistry()
        InferenceMetrics(registry: registry).finished(result, stages: stages)
        var output: [UInt8] = []
        registry.emit(into: &output)
        let text = String(decoding: output, as: UTF8.self)
        for stage in ["decode", "detect", "estimate"] {
            #expect(text.contains("farmiq_inference_stage_microseconds_total{stage=\"\(stage)\"}"), "\(text)")
        }
    }

    @Test("a camera moved half-way: the mixed fit is not calibrated, and the last 60 pairs relearn the new view alone")
    func aMovedCameraIsRelearnt() throws {
        // Before: area = 4000·w^(2/3); after the move: area = 12,800·w^(2/3).
        func pairs(_ camera: Double, _ count: Int, offset: Int) -> [WeightCalibration.Pair] {
            (0..<count).map { index in
                let weight = 0.5 + 2.5 * Double((index + offset) % 17) / 16
                return .init(areaPixels: camera * pow(weight, 2.0 / 3.0), weightKg: weight)
            }
        }
        let mixed = pairs(4000, 30, offset: 0) + pairs(12_800, 30, offset: 3)
        let confused = try #require(WeightCalibration.fit(mixed, version: "st-1/v60"))
        #expect(!confused.calibrated, "cross-validated \(confused.crossValidatedMAPE ?? -1)")
        let relearnt = try #require(WeightCalibration.fit(mixed + pairs(12_800, 60, offset: 5), version: "st-1/v120"))
        #expect(relearnt.calibrated && relearnt.sessions == 60)
        #expect(abs(relearnt.weightKg(areaPixels: 12_800 * pow(2.0, 2.0 / 3.0)) - 2.0) < 0.02)
    }
}
