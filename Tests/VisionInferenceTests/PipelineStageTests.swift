import Testing
@testable import VisionInference

@Suite struct PipelineStageTests {
    @Test func otsuSplitsTwoLevels() {
        var histogram = [Int](repeating: 0, count: 256)
        histogram[40] = 1000
        histogram[200] = 300
        let level = try! #require(Threshold.otsu(histogram))
        #expect(level >= 40 && level < 200)
        #expect(Threshold.otsu([Int](repeating: 0, count: 256)) == nil)
        var single = [Int](repeating: 0, count: 256)
        single[7] = 10
        #expect(Threshold.otsu(single) == nil)
    }

    @Test func openingRemovesSpecksAndKeepsBlobs() {
        var mask = BinaryMask(width: 20, height: 20)
        mask[2, 2] = true  // a speck
        for y in 8..<14 { for x in 8..<14 { mask[x, y] = true } }  // a 6×6 blob
        let opened = Morphology.open(mask)
        #expect(!opened[2, 2])
        #expect(opened.count == 36)
    }

    @Test func componentsHaveAreaBorderAndEllipseAxes() {
        let scene = SyntheticScene(platform: nil, ellipses: [.init(cx: 100, cy: 100, a: 40, b: 20), .init(cx: 2, cy: 120, a: 10, b: 10)])
        let image = scene.image()
        let components = ConnectedComponents.label(Threshold.mask(image, above: 100)).sorted { $0.area > $1.area }
        #expect(components.count == 2)
        let ellipse = components[0]
        #expect(abs(Double(ellipse.area) - 3.14159 * 40 * 20) < 60)
        #expect(abs(ellipse.ellipseAxes.major - 80) < 2)
        #expect(abs(ellipse.ellipseAxes.minor - 40) < 2)
        #expect(!ellipse.touchesBorder)
        #expect(components[1].touchesBorder)
        #expect(ellipse.perimeter > 150 && ellipse.perimeter < 260)
    }

    @Test func detectsBirdsOnThePlatform() throws {
        let scene = SyntheticScene(noise: 6, ellipses: [
            .init(cx: 90, cy: 80, a: 30, b: 18), .init(cx: 200, cy: 150, a: 32, b: 19, angle: 0.785), .init(cx: 150, cy: 70, a: 28, b: 17, angle: 1.57),
        ])
        let detection = try BirdDetector().detect(scene.image()).get()
        #expect(detection.count == 3)
        #expect(detection.cutByBorder == 0)
        for bird in detection.birds {
            #expect(bird.areaPixels > 1300 && bird.areaPixels < 2100)
            #expect(bird.majorAxisPixels > bird.minorAxisPixels)
        }
    }

    @Test func touchingBirdsAreCountedByArea() throws {
        // Two birds overlapping into one blob, one alone: the blob counts as two.
        let scene = SyntheticScene(ellipses: [.init(cx: 90, cy: 100, a: 30, b: 18), .init(cx: 140, cy: 100, a: 30, b: 18), .init(cx: 220, cy: 160, a: 30, b: 18)])
        let detection = try BirdDetector().detect(scene.image(), singleBirdArea: 3.14159 * 30 * 18).get()
        #expect(detection.count == 3)
        #expect(detection.birds.filter { $0.sharedWith == 2 }.count == 2)
    }

    @Test func anEmptyPlatformHasNoBirdAndDarknessHasNoPlatform() throws {
        #expect(try BirdDetector().detect(SyntheticScene(noise: 6).image()).get().count == 0)
        let black = GrayImage(width: 64, height: 64, pixels: [UInt8](repeating: 0, count: 4096))
        let white = GrayImage(width: 64, height: 64, pixels: [UInt8](repeating: 255, count: 4096))
        guard case .failure(.noPlatform) = BirdDetector().detect(black) else { Issue.record("black: a platform?"); return }
        guard case .failure(.noPlatform) = BirdDetector().detect(white) else { Issue.record("white: a platform?"); return }
    }

    @Test func noiseIsNotATopView() {
        var state: UInt64 = 7
        let pixels = (0..<(160 * 120)).map { _ -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        switch BirdDetector().detect(GrayImage(width: 160, height: 120, pixels: pixels)) {
        case .failure: break
        case .success(let detection): #expect(detection.count == 0, "noise gave \(detection.count) birds")
        }
    }

    @Test("a bird cut by the image border is counted (the scale weighs it) but left out of the features")
    func aBirdCutByTheBorderIsCountedWithoutFeatures() throws {
        let scene = SyntheticScene(platform: (0, 0, 320, 240), ellipses: [.init(cx: 5, cy: 100, a: 30, b: 18), .init(cx: 160, cy: 120, a: 30, b: 18)])
        let detection = try BirdDetector().detect(scene.image()).get()
        #expect(detection.count == 2)
        #expect(detection.birds.count == 1)
        #expect(detection.cutByBorder == 1)
    }

    @Test("run-based labelling joins runs through diagonals and U shapes, and its moments match a pixel count")
    func runLabellingMatchesPixels() {
        var mask = BinaryMask(width: 12, height: 8)
        // A U: two arms that meet only at the bottom row (two runs in one row, joined later).
        for y in 1...5 { mask[2, y] = true; mask[6, y] = true }
        for x in 2...6 { mask[x, 6] = true }
        // A diagonal staircase (8-connected only) and a lone pixel far away.
        mask[9, 1] = true; mask[10, 2] = true; mask[11, 3] = true
        mask[9, 6] = true
        let components = ConnectedComponents.label(mask).sorted { $0.area > $1.area }
        #expect(components.map(\.area) == [15, 3, 1])
        let u = components[0]
        var sumX = 0.0, sumXX = 0.0, sumXY = 0.0
        for y in 0..<8 { for x in 0..<6 + 1 where mask[x, y] { sumX += Double(x); sumXX += Double(x * x); sumXY += Double(x * y) } }
        #expect(u.sumX == sumX && u.sumXX == sumXX && u.sumXY == sumXY)
        #expect(u.minX == 2 && u.maxX == 6 && u.minY == 1 && u.maxY == 6)
        #expect(u.perimeter == 15, "every pixel of a one-pixel-wide shape is on its outline")
        #expect(components[1].touchesBorder, "the staircase reaches the right border")
        #expect(!u.touchesBorder)
    }

    @Test("two birds side by side are split at their waist; pressed hard together, they count against the camera's recent single-bird area")
    func touchingPairs() throws {
        // Outlines overlapping by a tenth of their width: the distance transform has two cores.
        let sideBySide = SyntheticScene(ellipses: [.init(cx: 130, cy: 110, a: 30, b: 18), .init(cx: 130, cy: 143, a: 30, b: 18)])
        let split = try BirdDetector().detect(sideBySide.image()).get()
        #expect(split.count == 2)
        #expect(split.birds.allSatisfy { $0.sharedWith == 2 })
        // Overlapping by almost half: no waist, one core; alone in the image, the blob is its own reference.
        let pair = SyntheticScene(ellipses: [.init(cx: 130, cy: 110, a: 30, b: 18), .init(cx: 130, cy: 130, a: 30, b: 18)])
        #expect(try BirdDetector().detect(pair.image()).get().count == 1, "alone, the blob is its own reference")
        let areas = SingleBirdAreas(minimumImages: 3)
        #expect(areas.reference(for: "cam") == nil)
        for area in [1690.0, 1700, 1710] { areas.record(area, for: "cam") }
        areas.record(1700, for: "other")
        let reference = try #require(areas.reference(for: "cam"))
        #expect(reference == 1700)
        #expect(try BirdDetector().detect(pair.image(), singleBirdArea: reference).get().count == 2)
        // Old areas age out: a new flock is not counted against the last one's birds.
        let later = ContinuousClock.now + .seconds(25 * 3600)
        #expect(areas.reference(for: "cam", now: later) == nil)
    }
}
