/// Flattens uneven lighting over the platform (a window on one side, vignetting): the platform's level is fitted as
/// a quadratic surface over the image, and each platform pixel is divided by it (``Gains``), so that one threshold
/// separates the birds from the platform in the dark corner and in the bright one alike.
public enum LightingCorrection {
    /// `level(x, y) = c0 + c1·u + c2·v + c3·u² + c4·v² + c5·u·v`, with `u = 2x / width − 1`, `v = 2y / height − 1`.
    public struct Surface: Sendable, Equatable {
        public var coefficients: [Double]
        public var width: Int
        public var height: Int

        public func level(x: Int, y: Int) -> Double {
            let u = 2 * Double(x) / Double(width) - 1, v = 2 * Double(y) / Double(height) - 1
            let c = coefficients
            return c[0] + c[1] * u + c[2] * v + c[3] * u * u + c[4] * v * v + c[5] * u * v
        }
    }

    /// The platform's level, from every `step`-th pixel of `platform` each way: a least-squares fit, then three more,
    /// each over the samples within 0.75–1.12 of the last (birds and shadows left out). `nil` with fewer than 24
    /// samples or a surface that is not positive at the corners.
    public static func fit(_ image: GrayImage, platform: BinaryMask, step: Int) -> Surface? {
        var samples: [(u: Double, v: Double, level: Double)] = []
        let step = max(1, step)
        for y in Swift.stride(from: step / 2, to: image.height, by: step) {
            for x in Swift.stride(from: step / 2, to: image.width, by: step) where platform[x, y] {
                samples.append((2 * Double(x) / Double(image.width) - 1, 2 * Double(y) / Double(image.height) - 1, Double(image[x, y])))
            }
        }
        guard var surface = leastSquares(samples, width: image.width, height: image.height) else { return nil }
        // Birds pull the first fit up (a crowded platform by 15% or more): refit three times over the samples near
        // the last fit, the band tighter above (birds) than below (shadows, the dark side).
        for _ in 0..<3 {
            let c = surface.coefficients
            let kept = samples.filter { sample in
                let level = c[0] + c[1] * sample.u + c[2] * sample.v + c[3] * sample.u * sample.u + c[4] * sample.v * sample.v + c[5] * sample.u * sample.v
                return sample.level >= 0.75 * level && sample.level <= 1.12 * level
            }
            guard let refit = leastSquares(kept, width: image.width, height: image.height) else { break }
            surface = refit
        }
        for (x, y) in [(0, 0), (image.width - 1, 0), (0, image.height - 1), (image.width - 1, image.height - 1)] where surface.level(x: x, y: y) <= 1 {
            return nil
        }
        return surface
    }

    /// The gain that brings the platform to level 128, per 4 rows and 8 columns (the surface is smooth), and what
    /// the stages need of the flattened image without writing it: its histogram, and the pixels above a level.
    public struct Gains: Sendable {
        public let width: Int
        public let height: Int
        let blocks: Int
        let gains: [Float]

        /// `128 / surface` (no correction without a surface: the gain of a platform at level 128).
        public init(surface: Surface?, width: Int, height: Int) {
            self.width = width
            self.height = height
            blocks = (width + 7) / 8
            var gains = [Float](repeating: 1, count: blocks * height)
            if let surface {
                // Evaluated on every 4th row, shared by the rows around it (the surface moves well under 1% in 4 rows).
                for y in Swift.stride(from: 0, to: height, by: 4) {
                    for block in 0..<blocks {
                        let gain = Float(128 / max(1, surface.level(x: min(width - 1, block * 8 + 4), y: min(height - 1, y + 2))))
                        for row in y..<min(height, y + 4) { gains[row * blocks + block] = gain }
                    }
                }
            }
            self.gains = gains
        }

        /// Histogram of the flattened levels of `platform`'s pixels on every `rowStep`-th row.
        public func histogram(_ image: GrayImage, platform: BinaryMask, rowStep: Int = 2) -> [Int] {
            var histogram = [Int](repeating: 0, count: 256)
            let width = image.width, stride = platform.stride, blocks = blocks
            histogram.withUnsafeMutableBufferPointer { histogram in
                image.pixels.withUnsafeBufferPointer { pixels in
                    platform.words.withUnsafeBufferPointer { words in
                        gains.withUnsafeBufferPointer { gains in
                            for y in Swift.stride(from: 0, to: image.height, by: max(1, rowStep)) {
                                for word in 0..<stride {
                                    var bits = words[y * stride + word]
                                    while bits != 0 {
                                        let x = word * 64 + bits.trailingZeroBitCount
                                        bits &= bits - 1
                                        histogram[Int(min(255, Float(pixels[y * width + x]) * gains[y * blocks + x >> 3]))] &+= 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return histogram
        }

        /// Pixels of `platform` whose flattened level is above `level`.
        public func mask(_ image: GrayImage, above level: Int, within platform: BinaryMask) -> BinaryMask {
            var mask = BinaryMask(width: image.width, height: image.height)
            guard level < 255 else { return mask }
            // Per block, the raw level a pixel must reach: flattened > level ⇔ raw ≥ ⌈(level + 1) / gain⌉ (near enough).
            let thresholds = gains.map { UInt16(min(256, max(0, (Float(level + 1) / $0).rounded(.up)))) }
            let width = image.width, stride = mask.stride, blocks = blocks
            mask.words.withUnsafeMutableBufferPointer { words in
                image.pixels.withUnsafeBufferPointer { pixels in
                    platform.words.withUnsafeBufferPointer { region in
                        for y in 0..<image.height {
                            for word in 0..<stride where region[y * stride + word] != 0 {
                                let start = y * width + word * 64, count = min(64, width - word * 64)
                                var bits: UInt64 = 0
                                // Eight blocks of eight pixels, one threshold each.
                                var j = 0
                                while j < count {
                                    let threshold = thresholds[y * blocks + (word * 64 + j) >> 3]
                                    let end = min(count, j + 8)
                                    while j < end {
                                        if UInt16(pixels[start + j]) >= threshold { bits |= UInt64(1) << UInt64(j) }
                                        j += 1
                                    }
                                }
                                words[y * stride + word] = bits & region[y * stride + word]
                            }
                        }
                    }
                }
            }
            return mask
        }
    }

    /// Least squares over the six terms (normal equations, Gaussian elimination with partial pivoting).
    static func leastSquares(_ samples: [(u: Double, v: Double, level: Double)], width: Int, height: Int) -> Surface? {
        guard samples.count >= 24 else { return nil }
        // The normal equations, row-major 6 × 7 (the last column the right-hand side).
        var m = [Double](repeating: 0, count: 42)
        m.withUnsafeMutableBufferPointer { m in
            for sample in samples {
                let t0 = 1.0, t1 = sample.u, t2 = sample.v, t3 = sample.u * sample.u, t4 = sample.v * sample.v, t5 = sample.u * sample.v
                let terms = (t0, t1, t2, t3, t4, t5, sample.level)
                withUnsafeBytes(of: terms) { raw in
                    let t = raw.bindMemory(to: Double.self)
                    for row in 0..<6 {
                        for column in row..<7 { m[row * 7 + column] += t[row] * t[column] }
                    }
                }
            }
            for row in 1..<6 { for column in 0..<row { m[row * 7 + column] = m[column * 7 + row] } }
        }
        for column in 0..<6 {
            guard let pivot = (column..<6).max(by: { abs(m[$0 * 7 + column]) < abs(m[$1 * 7 + column]) }), abs(m[pivot * 7 + column]) > 1e-9 else {
                return nil
            }
            if pivot != column { for k in 0..<7 { m.swapAt(column * 7 + k, pivot * 7 + k) } }
            for row in 0..<6 where row != column {
                let factor = m[row * 7 + column] / m[column * 7 + column]
                for k in column..<7 { m[row * 7 + k] -= factor * m[column * 7 + k] }
            }
        }
        var coefficients: [Double] = []
        for row in 0..<6 { coefficients.append(m[row * 7 + 6] / m[row * 7 + row]) }
        return Surface(coefficients: coefficients, width: width, height: height)
    }
}
