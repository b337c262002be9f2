/// Otsu's threshold (N. Otsu, "A threshold selection method from gray-level histograms", 1979): the level that
/// maximises the between-class variance of a 256-bin histogram. Pixels `> threshold` are the bright class.
public enum Threshold {
    /// `nil` when the histogram is empty or holds a single level (nothing to separate).
    public static func otsu(_ histogram: [Int]) -> Int? {
        precondition(histogram.count == 256)
        let total = histogram.reduce(0, +)
        guard total > 0 else { return nil }
        var sumAll = 0.0
        for (level, count) in histogram.enumerated() { sumAll += Double(level * count) }
        var weightBackground = 0, sumBackground = 0.0
        var best: (level: Int, variance: Double)?
        for level in 0..<255 {
            weightBackground += histogram[level]
            guard weightBackground > 0 else { continue }
            let weightForeground = total - weightBackground
            guard weightForeground > 0 else { break }
            sumBackground += Double(level * histogram[level])
            let meanBackground = sumBackground / Double(weightBackground)
            let meanForeground = (sumAll - sumBackground) / Double(weightForeground)
            let difference = meanBackground - meanForeground
            let variance = Double(weightBackground) * Double(weightForeground) * difference * difference
            if best == nil || variance > best!.variance { best = (level, variance) }
        }
        return best?.level
    }

    /// Otsu's method for three classes: the two levels `(low, high)` that maximise the between-class variance
    /// (classes `≤ low`, `low < · ≤ high`, `> high`). `nil` when fewer than three levels are present.
    /// Computed on 64 bins of 4 levels (16× fewer pairs of levels to try); the levels returned are the last of their
    /// bins.
    public static func otsu3(_ histogram: [Int]) -> (low: Int, high: Int)? {
        precondition(histogram.count == 256)
        var bins = [Int](repeating: 0, count: 64)
        for level in 0..<256 { bins[level / 4] += histogram[level] }
        return otsu3(bins: bins).map { (4 * $0.low + 3, 4 * $0.high + 3) }
    }

    /// Three-class Otsu over `bins` histogram bins (levels are bin indices).
    static func otsu3(bins histogram: [Int]) -> (low: Int, high: Int)? {
        let levels = histogram.count
        // Prefix sums of counts and of level × count.
        var count = [Double](repeating: 0, count: levels + 1), sum = [Double](repeating: 0, count: levels + 1)
        for level in 0..<levels {
            count[level + 1] = count[level] + Double(histogram[level])
            sum[level + 1] = sum[level] + Double(level * histogram[level])
        }
        let total = count[levels], mean = sum[levels] / max(1, total)
        guard total > 0 else { return nil }
        func term(_ from: Int, _ to: Int) -> Double? {
            let n = count[to + 1] - count[from]
            guard n > 0 else { return nil }
            let classMean = (sum[to + 1] - sum[from]) / n
            return n * (classMean - mean) * (classMean - mean)
        }
        var best: (low: Int, high: Int, variance: Double)?
        for low in 0..<(levels - 2) {
            guard let first = term(0, low) else { continue }
            for high in (low + 1)..<(levels - 1) {
                guard let second = term(low + 1, high), let third = term(high + 1, levels - 1) else { continue }
                let variance = first + second + third
                if best == nil || variance > best!.variance { best = (low, high, variance) }
            }
        }
        return best.map { ($0.low, $0.high) }
    }

    /// Pixels brighter than `level` (within `within`, if given).
    public static func mask(_ image: GrayImage, above level: Int, within: BinaryMask? = nil) -> BinaryMask {
        var mask = BinaryMask(width: image.width, height: image.height)
        guard level < 255 else { return mask }
        let threshold = UInt8(clamping: max(level, -1) + 1)
        let width = image.width, stride = mask.stride
        let region = within?.words ?? [UInt64](repeating: ~0, count: stride * image.height)
        mask.words.withUnsafeMutableBufferPointer { words in
            image.pixels.withUnsafeBufferPointer { pixels in
                for y in 0..<image.height {
                    for word in 0..<stride where region[y * stride + word] != 0 {
                        let start = y * width + word * 64, count = min(64, width - word * 64)
                        var bits: UInt64 = 0
                        for j in 0..<count where pixels[start + j] >= threshold { bits |= UInt64(1) << UInt64(j) }
                        words[y * stride + word] = bits & region[y * stride + word]
                    }
                }
            }
        }
        return mask
    }
}
