import Foundation
import MediaStore
import Testing
@testable import VisionInference

@Suite struct ModelTests {
    @Test func thePriorFollowsTheSimulatorGeometry() {
        // area = 4000 · w^(2/3): a 2.2 kg bird covers 6,763 px².
        let area = 4000 * pow(2.2, 2.0 / 3.0)
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
}
