import Foundation
import MediaStore

/// A synthetic colour top view of a weigh platform, as a station camera uploads it (issue 8's test set): litter on
/// the barn floor, the grey platform, and on it one to five broilers — each a textured white body (an ellipse of
/// varying posture and orientation) with a head, a red comb and a beak, casting a shadow — under a lighting gradient
/// with vignetting and sensor noise, written as a 4:2:0 JPEG of quality 70–95.
///
/// A bird's visible area follows its weight, `area_px ≈ pixelsPerKg23 · weight_kg^(2/3)` (the surface of a body of
/// constant density) times a posture factor (σ 3%: a stretched or a hunched bird). A ``Layout`` adds the hard cases:
/// two birds pressed together (one blob), a bird half over the platform's edge, a bird cut by the image border.
///
/// The ground truth (count, weights, ellipses, the hard cases) is returned beside the image for benchmarks; nothing
/// the edge reads carries it.
package struct TopViewScene: Sendable {
    package struct Rect: Sendable {
        package var x: Int, y: Int, width: Int, height: Int
    }

    /// What a station's camera sees: the frame, where the platform lies in it, and how large a bird appears.
    package struct Camera: Sendable {
        package var width: Int
        package var height: Int
        /// The platform, pixels (a camera mounted off-centre sees it cut by the frame).
        package var platform: Rect
        /// Visible area of a 1 kg bird, pixels² of the full frame.
        package var pixelsPerKg23: Double

        /// A 1280×720 camera about 1.4 m above a 1.0 × 0.62 m platform: a 2.2 kg broiler covers about 21,600 px²;
        /// ``WeightModel/prior`` is this geometry.
        package static let standard = Camera(width: 1280, height: 720, platform: Rect(x: 190, y: 80, width: 900, height: 560), pixelsPerKg23: 12_800)
        /// The same view at 640×360 (a quarter of the pixels: quicker for tests that make many images).
        package static let compact = Camera(width: 640, height: 360, platform: Rect(x: 95, y: 40, width: 450, height: 280), pixelsPerKg23: 3_200)

        package func with(pixelsPerKg23: Double) -> Camera {
            var camera = self
            camera.pixelsPerKg23 = pixelsPerKg23
            return camera
        }
    }

    /// The hard cases of one image (each needs enough birds: a pair needs two).
    package struct Layout: Sendable {
        /// Two birds pressed side by side, their outlines overlapping.
        package var touchingPair = false
        /// One bird with about a third of its body over the platform's edge (still standing on it).
        package var overhangingBird = false
        /// The platform runs out of the frame on the left and one bird is cut by the image border (not in an image
        /// with a touching pair: the pair's first bird needs room around it).
        package var cutByBorder = false
        /// JPEG quality.
        package var quality = 85

        package static let plain = Layout()

        /// The simulator's mix, drawn per image: a touching pair 15% of the time, an overhanging bird 10%, a bird cut
        /// by the border 8%, quality uniform in 70–95 (a pair needs two birds, an overhanging bird one besides the
        /// pair, a cut bird no pair: the rates in images are lower).
        package static func random<G: RandomNumberGenerator>(using random: inout G) -> Layout {
            Layout(
                touchingPair: Double.random(in: 0..<1, using: &random) < 0.15,
                overhangingBird: Double.random(in: 0..<1, using: &random) < 0.10,
                cutByBorder: Double.random(in: 0..<1, using: &random) < 0.08,
                quality: Int.random(in: 70...95, using: &random))
        }
    }

    package struct Bird: Sendable {
        package var centerX: Double
        package var centerY: Double
        /// Semi-axes of the body, pixels.
        package var semiMajor: Double
        package var semiMinor: Double
        /// Radians; the head is at `+semiMajor` along it.
        package var angle: Double
        package var weightKg: Double
        package var touching = false
        package var overhanging = false
        package var cutByBorder = false

        package var headRadius: Double { 0.45 * semiMinor }
        package var headCenter: (x: Double, y: Double) { (centerX + cos(angle) * semiMajor, centerY + sin(angle) * semiMajor) }
        /// The body's ellipse and the part of the head outside it (about 7% of the body).
        package var areaPixels: Double { Double.pi * semiMajor * semiMinor * (1 + Self.headShare) }
        /// Reach from the centre, pixels: the head's far edge.
        package var reach: Double { semiMajor + headRadius }

        package static let headShare = 0.07
    }

    package let camera: Camera
    package let layout: Layout
    package let birds: [Bird]
    /// The platform in this image (shifted off the frame for ``Layout/cutByBorder``).
    package let platform: Rect

    /// Birds of the given weights on the platform (without overlapping, as far as 200 tries allow), with the hard
    /// cases `layout` asks for.
    package init<G: RandomNumberGenerator>(weightsKg: [Double], camera: Camera = .standard, layout: Layout = .plain, using random: inout G) {
        self.camera = camera
        self.layout = layout
        var platform = camera.platform
        if layout.cutByBorder { platform.x = -camera.width / 20 }
        self.platform = platform
        var birds: [Bird] = []
        let margin = 4.0
        let left = Double(platform.x), top = Double(platform.y)
        let right = Double(platform.x + platform.width), bottom = Double(platform.y + platform.height)
        for (index, weight) in weightsKg.enumerated() {
            let posture = exp(0.03 * Self.gaussian(using: &random))
            let area = camera.pixelsPerKg23 * pow(max(weight, 0.03), 2.0 / 3.0) * posture / (1 + Bird.headShare)
            let ratio = Double.random(in: 1.45...1.9, using: &random)
            let semiMinor = (area / (Double.pi * ratio)).squareRoot()
            var bird = Bird(centerX: 0, centerY: 0, semiMajor: semiMinor * ratio, semiMinor: semiMinor, angle: 0, weightKg: weight)
            if index == 1, layout.touchingPair {
                // Beside the first bird, nearly parallel, outlines overlapping by a tenth of their widths.
                let first = birds[0]
                let side = first.angle + Double.pi / 2
                let distance = (first.semiMinor + bird.semiMinor) * 0.9
                bird.angle = first.angle + Double.random(in: -0.25...0.25, using: &random)
                bird.centerX = first.centerX + cos(side) * distance
                bird.centerY = first.centerY + sin(side) * distance
                bird.touching = true
                birds[0].touching = true
                birds.append(bird)
                continue
            }
            var best = (gap: -Double.infinity, bird: bird)
            for attempt in 0..<200 {
                bird.angle = Double.random(in: -Double.pi..<Double.pi, using: &random)
                let reach = bird.reach + margin
                // A pair's first bird keeps room beside it for the second.
                let room = index == 0 && layout.touchingPair && weightsKg.count > 1 ? 2.2 * bird.semiMinor : 0
                bird.centerX = Self.uniform(max(left, 0) + reach + room, right - reach - room, using: &random)
                bird.centerY = Self.uniform(top + reach + room, bottom - reach - room, using: &random)
                if index == weightsKg.count - 1, layout.overhangingBird, !(layout.touchingPair && index == 1) {
                    // A third of the body beyond the bottom edge.
                    bird.angle = Double.random(in: -0.3...0.3, using: &random)
                    bird.centerY = bottom - bird.semiMinor * 0.35
                    bird.overhanging = true
                } else if index == 0, layout.cutByBorder, !layout.touchingPair {
                    // Between a fifth and half of the bird outside the frame on the left.
                    bird.angle = Double.random(in: -0.4...0.4, using: &random) + (Bool.random(using: &random) ? 0 : Double.pi)
                    bird.centerX = bird.semiMajor * Double.random(in: 0.05...0.6, using: &random)
                    bird.cutByBorder = true
                }
                // Room left: the smallest gap to another bird (negative: they overlap).
                let gap = birds.map { Self.gap(between: $0, and: bird) }.min() ?? .infinity
                if gap > 6 { break }
                if gap > best.gap { best = (gap, bird) }
                if attempt == 199 {
                    // No clear spot: the roomiest one tried, against its neighbour as birds crowd on a platform.
                    bird = best.bird
                    bird.touching = true
                }
            }
            birds.append(bird)
        }
        self.birds = birds
    }

    /// The image as 8-bit RGB pixels, row by row.
    package func pixels<G: RandomNumberGenerator>(using random: inout G) -> [UInt8] {
        let width = camera.width, height = camera.height
        let light = Lighting(width: width, height: height, using: &random)
        let floorTexture = ValueNoise(width: width, height: height, cell: max(4, width / 80), using: &random)
        let featherTexture = ValueNoise(width: width, height: height, cell: max(2, width / 320), using: &random)
        let noise = Double.random(in: 2.5...5.5, using: &random)
        let shadow = (dx: Double.random(in: -0.25...0.25, using: &random), dy: Double.random(in: 0.05...0.3, using: &random))
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        // Birds whose reach (plus the shadow) meets each row.
        var rows = [[Int]](repeating: [], count: height)
        for (index, bird) in birds.enumerated() {
            let extent = bird.reach * 1.4 + 4
            let low = max(0, Int(bird.centerY - extent)), high = min(height - 1, Int(bird.centerY + extent))
            if low <= high { for y in low...high { rows[y].append(index) } }
        }
        // Per bird, once: its orientation and its head.
        let turns = birds.map { (cos: cos($0.angle), sin: sin($0.angle)) }
        let heads = birds.map(\.headCenter)
        for y in 0..<height {
            for x in 0..<width {
                let onPlatform = x >= platform.x && x < platform.x + platform.width && y >= platform.y && y < platform.y + platform.height
                var colour: (Double, Double, Double)
                if onPlatform {
                    let grain = 3 * featherTexture[x, y]
                    colour = (148 + grain, 150 + grain, 156 + grain)
                } else {
                    let litter = 22 * floorTexture[x, y]
                    colour = (104 + litter, 80 + litter * 0.8, 56 + litter * 0.6)
                }
                for index in rows[y] {
                    let bird = birds[index]
                    // The shadow: the bird's outline, offset away from the light and softened.
                    let sx = Double(x) - bird.centerX - shadow.dx * bird.semiMajor, sy = Double(y) - bird.centerY - shadow.dy * bird.semiMajor
                    let shadowR = Self.radius(sx, sy, bird, turns[index], scale: 1.08)
                    if shadowR < 1.15 {
                        let depth = shadowR < 0.9 ? 0.62 : 0.62 + 0.38 * (shadowR - 0.9) / 0.25
                        colour = (colour.0 * depth, colour.1 * depth, colour.2 * depth)
                    }
                }
                for index in rows[y] {
                    let bird = birds[index]
                    let dx = Double(x) - bird.centerX, dy = Double(y) - bird.centerY
                    let turn = turns[index]
                    let r = Self.radius(dx, dy, bird, turn, scale: 1)
                    let head = heads[index]
                    let hx = Double(x) - head.x, hy = Double(y) - head.y
                    let headR = (hx * hx + hy * hy).squareRoot() / bird.headRadius
                    let coverage = max(Self.edge(r), Self.edge(headR))
                    guard coverage > 0 else { continue }
                    var feather = (1 - 0.2 * min(r, 1) * min(r, 1)) * (1 + 0.05 * featherTexture[x, y])
                    if headR < 1 { feather = max(feather, 0.97) }
                    var bird3 = (236 * feather, 230 * feather, 214 * feather)
                    // The comb (red) on top of the head, the beak (yellow) in front of it.
                    let forward = (hx * turn.cos + hy * turn.sin) / bird.headRadius
                    let across = (-hx * turn.sin + hy * turn.cos) / bird.headRadius
                    if headR < 1, abs(across) < 0.28, forward > -0.55, forward < 0.35 { bird3 = (196, 40, 38) }
                    if headR < 1.3, forward > 0.85, abs(across) < 0.22 { bird3 = (226, 184, 72) }
                    colour = (colour.0 * (1 - coverage) + bird3.0 * coverage, colour.1 * (1 - coverage) + bird3.1 * coverage,
                              colour.2 * (1 - coverage) + bird3.2 * coverage)
                }
                let gain = light.gain(x: x, y: y)
                let offset = 3 * (y * width + x)
                rgb[offset] = Self.byte(colour.0 * gain + noise * Self.gaussian(using: &random))
                rgb[offset + 1] = Self.byte(colour.1 * gain + noise * Self.gaussian(using: &random))
                rgb[offset + 2] = Self.byte(colour.2 * gain + noise * Self.gaussian(using: &random))
            }
        }
        return rgb
    }

    /// The image as a colour JPEG (4:2:0) at the layout's quality.
    package func jpeg<G: RandomNumberGenerator>(using random: inout G) -> [UInt8] {
        JPEGEncoder.encode(pixels(using: &random), layout: .rgb, width: camera.width, height: camera.height, quality: layout.quality) ?? []
    }

    /// The sidecar of one image: what a benchmark of inference compares with (never read by the edge).
    package func groundTruthJSON(mediaID: String?, eventID: String, sessionID: String) -> String {
        let birds = birds.map { bird in
            "{\"center_x\":\(rounded(bird.centerX)),\"center_y\":\(rounded(bird.centerY)),\"major_axis_px\":\(rounded(2 * bird.semiMajor)),"
                + "\"minor_axis_px\":\(rounded(2 * bird.semiMinor)),\"area_px\":\(rounded(bird.areaPixels)),\"weight_kg\":\(rounded(bird.weightKg)),"
                + "\"touching\":\(bird.touching),\"overhanging\":\(bird.overhanging),\"cut_by_border\":\(bird.cutByBorder)}"
        }
        let media = mediaID.map { "\"\($0)\"" } ?? "null"
        return "{\"media_id\":\(media),\"event_id\":\"\(eventID)\",\"session_id\":\"\(sessionID)\",\"count\":\(self.birds.count),"
            + "\"width\":\(camera.width),\"height\":\(camera.height),\"quality\":\(layout.quality),"
            + "\"pixels_per_kg_2_3\":\(camera.pixelsPerKg23),\"birds\":[\(birds.joined(separator: ","))]}"
    }

    /// About how many pixels apart two birds' outlines (body and head) are; negative when they overlap. Points around
    /// each outline are measured against the other bird's shape.
    package static func gap(between a: Bird, and b: Bird) -> Double {
        func outline(_ bird: Bird) -> [(x: Double, y: Double)] {
            let c = cos(bird.angle), s = sin(bird.angle)
            var points = (0..<32).map { step -> (x: Double, y: Double) in
                let t = Double(step) * Double.pi / 16
                let u = cos(t) * bird.semiMajor, v = sin(t) * bird.semiMinor
                return (bird.centerX + u * c - v * s, bird.centerY + u * s + v * c)
            }
            let head = bird.headCenter
            points += (0..<12).map { step in
                let t = Double(step) * Double.pi / 6
                return (head.x + cos(t) * bird.headRadius, head.y + sin(t) * bird.headRadius)
            }
            return points
        }
        /// Distance from a point to `bird`'s shape, approximately (negative inside), pixels.
        func distance(_ point: (x: Double, y: Double), _ bird: Bird) -> Double {
            let dx = point.x - bird.centerX, dy = point.y - bird.centerY
            let r = radius(dx, dy, bird, (cos(bird.angle), sin(bird.angle)), scale: 1)
            let body = (r - 1) * bird.semiMinor
            let head = bird.headCenter
            let headDistance = ((point.x - head.x) * (point.x - head.x) + (point.y - head.y) * (point.y - head.y)).squareRoot() - bird.headRadius
            return min(body, headDistance)
        }
        let fromA = outline(a).map { distance($0, b) }.min() ?? .infinity
        let fromB = outline(b).map { distance($0, a) }.min() ?? .infinity
        return min(fromA, fromB)
    }

    /// Normalised elliptic radius of `(dx, dy)` from a bird's centre (1: on the body's outline).
    private static func radius(_ dx: Double, _ dy: Double, _ bird: Bird, _ turn: (cos: Double, sin: Double), scale: Double) -> Double {
        let c = turn.cos, s = turn.sin
        let u = (dx * c + dy * s) / (bird.semiMajor * scale), v = (-dx * s + dy * c) / (bird.semiMinor * scale)
        return (u * u + v * v).squareRoot()
    }

    /// Coverage of an outline with a soft edge (feathers) from 0.95 to 1.05 of its radius.
    private static func edge(_ r: Double) -> Double {
        r < 0.95 ? 1 : r < 1.05 ? (1.05 - r) / 0.1 : 0
    }

    /// Uniform in `low...high`; the middle when the range is empty (a bird too large for the room left).
    private static func uniform<G: RandomNumberGenerator>(_ low: Double, _ high: Double, using random: inout G) -> Double {
        low < high ? Double.random(in: low...high, using: &random) : (low + high) / 2
    }

    private static func byte(_ value: Double) -> UInt8 { UInt8(max(0, min(255, value.rounded()))) }

    /// A standard normal deviate (sum of four uniforms, scaled: cheap and smooth enough for noise).
    package static func gaussian<G: RandomNumberGenerator>(using random: inout G) -> Double {
        var sum = 0.0
        for _ in 0..<4 { sum += Double.random(in: 0..<1, using: &random) }
        return (sum - 2) * 1.7320508
    }

    private func rounded(_ value: Double) -> String { "\((value * 1000).rounded() / 1000)" }
}

/// A gain over the frame: a linear gradient (a window on one side, ±12%) and vignetting (−10% in the corners).
private struct Lighting {
    package let width: Double, height: Double
    package let gx: Double, gy: Double

    package init<G: RandomNumberGenerator>(width: Int, height: Int, using random: inout G) {
        self.width = Double(width)
        self.height = Double(height)
        gx = Double.random(in: -0.12...0.12, using: &random)
        gy = Double.random(in: -0.12...0.12, using: &random)
    }

    package func gain(x: Int, y: Int) -> Double {
        let u = Double(x) / width - 0.5, v = Double(y) / height - 0.5
        return (1 + 2 * gx * u + 2 * gy * v) * (1 - 0.2 * (u * u + v * v))
    }
}

/// Smooth random texture in −1…1: random values on a grid of `cell`-pixel squares, bilinearly interpolated.
private struct ValueNoise {
    package let cell: Int
    package let columns: Int
    package let grid: [Double]

    package init<G: RandomNumberGenerator>(width: Int, height: Int, cell: Int, using random: inout G) {
        self.cell = cell
        columns = width / cell + 2
        let rows = height / cell + 2
        grid = (0..<(columns * rows)).map { _ in Double.random(in: -1...1, using: &random) }
    }

    subscript(x: Int, y: Int) -> Double {
        let gx = x / cell, gy = y / cell
        let fx = Double(x % cell) / Double(cell), fy = Double(y % cell) / Double(cell)
        let a = grid[gy * columns + gx], b = grid[gy * columns + gx + 1]
        let c = grid[(gy + 1) * columns + gx], d = grid[(gy + 1) * columns + gx + 1]
        return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy
    }
}
