import Foundation
import MediaStore

/// A synthetic top view of a weigh platform, as the simulator's station cameras upload it: a dark barn floor, the
/// lighter rectangular platform, and each bird as a bright, soft-edged ellipse whose area grows with its weight
/// (`area_px = pixelsPerKg23 · weight_kg^(2/3)`, the surface of a body of constant density), plus sensor noise.
///
/// The ground truth (count, weights, ellipses) is returned beside the image for benchmarks of inference; nothing the
/// edge reads carries it.
struct TopViewScene: Sendable {
    struct Bird: Sendable {
        var centerX: Double
        var centerY: Double
        /// Semi-axes, pixels.
        var semiMajor: Double
        var semiMinor: Double
        /// Radians.
        var angle: Double
        var weightKg: Double

        var areaPixels: Double { Double.pi * semiMajor * semiMinor }
    }

    static let width = 640
    static let height = 480
    /// The platform, pixels: x 80..<560, y 60..<420.
    static let platform = (x: 80, y: 60, width: 480, height: 360)
    /// Area of a 1 kg bird, pixels, at the default camera height (a 2.2 kg broiler covers about 6,800 px²); the
    /// prior model (`WeightModel.prior`) is this geometry.
    static let pixelsPerKg23 = 4000.0

    let birds: [Bird]

    /// Birds of the given weights, placed on the platform without overlapping (as far as 200 tries allow).
    /// `pixelsPerKg23`: the station's camera (a lower camera sees each bird larger).
    init<G: RandomNumberGenerator>(weightsKg: [Double], pixelsPerKg23: Double = TopViewScene.pixelsPerKg23, using random: inout G) {
        var birds: [Bird] = []
        for weight in weightsKg {
            let area = pixelsPerKg23 * pow(max(weight, 0.05), 2.0 / 3.0)
            let ratio = Double.random(in: 1.55...1.85, using: &random)
            let semiMinor = (area / (Double.pi * ratio)).squareRoot()
            let semiMajor = semiMinor * ratio
            var placed = Bird(centerX: 0, centerY: 0, semiMajor: semiMajor, semiMinor: semiMinor, angle: 0, weightKg: weight)
            for _ in 0..<200 {
                placed.centerX = Double.random(in: Double(Self.platform.x) + semiMajor + 4...Double(Self.platform.x + Self.platform.width) - semiMajor - 4, using: &random)
                placed.centerY = Double.random(in: Double(Self.platform.y) + semiMajor + 4...Double(Self.platform.y + Self.platform.height) - semiMajor - 4, using: &random)
                placed.angle = Double.random(in: 0..<Double.pi, using: &random)
                let clear = birds.allSatisfy { other in
                    let dx = other.centerX - placed.centerX, dy = other.centerY - placed.centerY
                    return (dx * dx + dy * dy).squareRoot() > other.semiMajor + placed.semiMajor + 6
                }
                if clear { break }
            }
            birds.append(placed)
        }
        self.birds = birds
    }

    /// The image as 8-bit grayscale pixels, row by row.
    func pixels<G: RandomNumberGenerator>(using random: inout G) -> [UInt8] {
        let width = Self.width, height = Self.height, platform = Self.platform
        var pixels = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let onPlatform = x >= platform.x && x < platform.x + platform.width && y >= platform.y && y < platform.y + platform.height
                var value = onPlatform ? 112.0 + Double(x - platform.x) * 0.02 : 38.0
                for bird in birds {
                    let dx = Double(x) - bird.centerX, dy = Double(y) - bird.centerY
                    guard abs(dx) <= bird.semiMajor + 2, abs(dy) <= bird.semiMajor + 2 else { continue }
                    let c = cos(bird.angle), s = sin(bird.angle)
                    let u = (dx * c + dy * s) / bird.semiMajor, v = (-dx * s + dy * c) / bird.semiMinor
                    let r = (u * u + v * v).squareRoot()
                    if r < 1.06 {
                        // A soft edge over the last few percent of the radius; feathers slightly darker at the rim.
                        let edge = r < 0.94 ? 1.0 : (1.06 - r) / 0.12
                        let bright = 215.0 - 25.0 * r * r
                        value = value * (1 - edge) + bright * edge
                    }
                }
                value += Double.random(in: -7...7, using: &random)
                pixels[y * width + x] = UInt8(max(0, min(255, value)))
            }
        }
        return pixels
    }

    /// The image as a JPEG (quality 85).
    func jpeg<G: RandomNumberGenerator>(using random: inout G) -> [UInt8] {
        JPEGEncoder.grayscale(pixels(using: &random), width: Self.width, height: Self.height, quality: 85) ?? []
    }

    /// The sidecar of one image: what a benchmark of inference compares with (never read by the edge).
    func groundTruthJSON(mediaID: String?, eventID: String, sessionID: String) -> String {
        let birds = birds.map { bird in
            "{\"center_x\":\(rounded(bird.centerX)),\"center_y\":\(rounded(bird.centerY)),\"major_axis_px\":\(rounded(2 * bird.semiMajor)),"
                + "\"minor_axis_px\":\(rounded(2 * bird.semiMinor)),\"area_px\":\(rounded(bird.areaPixels)),\"weight_kg\":\(rounded(bird.weightKg))}"
        }
        let media = mediaID.map { "\"\($0)\"" } ?? "null"
        return "{\"media_id\":\(media),\"event_id\":\"\(eventID)\",\"session_id\":\"\(sessionID)\",\"count\":\(self.birds.count),"
            + "\"pixels_per_kg_2_3\":\(Self.pixelsPerKg23),\"birds\":[\(birds.joined(separator: ","))]}"
    }

    private func rounded(_ value: Double) -> String { "\((value * 1000).rounded() / 1000)" }
}
