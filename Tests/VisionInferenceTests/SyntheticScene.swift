import VisionInference

/// Small synthetic top views for the stage tests: a dark floor, a lighter platform, bright ellipses.
struct SyntheticScene {
    struct Ellipse {
        var cx: Double, cy: Double, a: Double, b: Double, angle: Double = 0
    }

    var width = 320
    var height = 240
    var floor: UInt8 = 40
    var platform: (x: Int, y: Int, width: Int, height: Int)? = (40, 30, 240, 180)
    var platformLevel: UInt8 = 115
    var birdLevel: UInt8 = 210
    var noise = 0
    var ellipses: [Ellipse] = []

    func image(seed: UInt64 = 1) -> GrayImage {
        var state = seed
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(state >> 33)
        }
        var pixels = [UInt8](repeating: floor, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                var value = Int(floor)
                if let p = platform, x >= p.x, x < p.x + p.width, y >= p.y, y < p.y + p.height { value = Int(platformLevel) }
                for e in ellipses {
                    let dx = Double(x) - e.cx, dy = Double(y) - e.cy
                    let c = cosine(e.angle), s = sine(e.angle)
                    let u = (dx * c + dy * s) / e.a, v = (-dx * s + dy * c) / e.b
                    if u * u + v * v <= 1 { value = Int(birdLevel) }
                }
                if noise > 0 { value += next() % (2 * noise + 1) - noise }
                pixels[y * width + x] = UInt8(max(0, min(255, value)))
            }
        }
        return GrayImage(width: width, height: height, pixels: pixels)
    }

    // Only the angles the tests use: 0 and π/4 and π/2.
    private func cosine(_ angle: Double) -> Double { angle == 0 ? 1 : (angle < 1 ? 0.7071067811865476 : 0) }
    private func sine(_ angle: Double) -> Double { angle == 0 ? 0 : (angle < 1 ? 0.7071067811865476 : 1) }
}
