/// Flattens uneven lighting over the platform (a window on one side, vignetting): the platform's level is fitted as
/// a quadratic surface over the image, and each platform pixel is divided by it, so that one threshold separates the
/// birds from the platform in the dark corner and in the bright one alike.
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

    /// The platform's level, from every `step`-th pixel of `platform` each way: a least-squares fit, then a
    /// second one over the samples within 0.8–1.2 of the first (birds and shadows left out). `nil` with fewer than 24
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
        let kept = samples.filter { sample in
            let level = surface.coefficients[0] + surface.coefficients[1] * sample.u + surface.coefficients[2] * sample.v
                + surface.coefficients[3] * sample.u * sample.u + surface.coefficients[4] * sample.v * sample.v + surface.coefficients[5] * sample.u * sample.v
            return sample.level >= 0.8 * level && sample.level <= 1.2 * level
        }
        if let refit = leastSquares(kept, width: image.width, height: image.height) { surface = refit }
        for (x, y) in [(0, 0), (image.width - 1, 0), (0, image.height - 1), (image.width - 1, image.height - 1)] where surface.level(x: x, y: y) <= 1 {
            return nil
        }
        return surface
    }

    /// `image` divided by `surface` over `platform`, scaled so the platform's level is 128 (0 outside it), and the
    /// histogram of the result over the platform.
    public static func flatten(_ image: GrayImage, platform: BinaryMask, surface: Surface) -> (image: GrayImage, histogram: [Int]) {
        let width = image.width, stride = platform.stride
        var flat = [UInt8](repeating: 0, count: image.pixels.count)
        var histogram = [Int](repeating: 0, count: 256)
        let c = surface.coefficients
        let du = 2 / Float(width)
        flat.withUnsafeMutableBufferPointer { flat in
            histogram.withUnsafeMutableBufferPointer { histogram in
                image.pixels.withUnsafeBufferPointer { pixels in
                    platform.words.withUnsafeBufferPointer { words in
                        for y in 0..<image.height {
                            let v = 2 * Double(y) / Double(image.height) - 1
                            // level(u) = a + b·u + c3·u² along the row.
                            let a = Float(c[0] + c[2] * v + c[4] * v * v), b = Float(c[1] + c[5] * v), c3 = Float(c[3])
                            for word in 0..<stride {
                                var bits = words[y * stride + word]
                                while bits != 0 {
                                    let x = word * 64 + bits.trailingZeroBitCount
                                    bits &= bits - 1
                                    let u = Float(x) * du - 1
                                    let level = max(1, a + u * (b + c3 * u))
                                    let byte = UInt8(min(255, Float(pixels[y * width + x]) * 128 / level))
                                    flat[y * width + x] = byte
                                    histogram[Int(byte)] &+= 1
                                }
                            }
                        }
                    }
                }
            }
        }
        return (GrayImage(width: width, height: image.height, pixels: flat), histogram)
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
