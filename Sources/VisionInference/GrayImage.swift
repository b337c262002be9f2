/// An 8-bit grayscale image, row by row (`pixels[y * width + x]`): what every stage of the pipeline reads.
public struct GrayImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && pixels.count == width * height, "pixels must hold width × height bytes")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    public subscript(x: Int, y: Int) -> UInt8 { pixels[y * width + x] }

    /// The image shrunk by `factor` each way, each pixel the mean of the 2×2 pixels at the centre of its
    /// `factor × factor` block (a last partial row or column of blocks is dropped): enough to find large regions.
    public func shrunk(by factor: Int) -> GrayImage {
        let w = max(1, width / factor), h = max(1, height / factor)
        guard factor >= 2 else { return self }
        var out = [UInt8](repeating: 0, count: w * h)
        let half = factor / 2
        pixels.withUnsafeBufferPointer { pixels in
            for y in 0..<h {
                let top = (y * factor + half - 1) * width, bottom = top + width
                for x in 0..<w {
                    let left = x * factor + half - 1
                    let upper = Int(pixels[top + left]) + Int(pixels[top + left + 1])
                    let lower = Int(pixels[bottom + left]) + Int(pixels[bottom + left + 1])
                    out[y * w + x] = UInt8((upper + lower) / 4)
                }
            }
        }
        return GrayImage(width: w, height: h, pixels: out)
    }

    /// 256-bin histogram of the pixels where `mask` is set (all pixels without a mask).
    public func histogram(mask: BinaryMask? = nil) -> [Int] {
        var bins = [Int](repeating: 0, count: 256)
        bins.withUnsafeMutableBufferPointer { bins in
            pixels.withUnsafeBufferPointer { pixels in
                if let mask {
                    mask.words.withUnsafeBufferPointer { words in
                        for y in 0..<height {
                            for word in 0..<mask.stride {
                                var bits = words[y * mask.stride + word]
                                while bits != 0 {
                                    let x = word * 64 + bits.trailingZeroBitCount
                                    bins[Int(pixels[y * width + x])] &+= 1
                                    bits &= bits - 1
                                }
                            }
                        }
                    }
                } else {
                    for value in pixels { bins[Int(value)] &+= 1 }
                }
            }
        }
        return bins
    }
}

/// A binary image of the same size as the image it came from, packed 64 pixels to a word: bit `j` of word `i` of
/// row `y` is pixel `(64·i + j, y)`; bits past the width are always clear. The stages work on whole words (an
/// opening is a few shifts and ANDs per 64 pixels, runs are found with bit scans).
public struct BinaryMask: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// Words per row: `⌈width / 64⌉`.
    public let stride: Int
    public var words: [UInt64]

    public init(width: Int, height: Int) {
        precondition(width >= 0 && height >= 0)
        self.width = width
        self.height = height
        stride = (width + 63) / 64
        words = [UInt64](repeating: 0, count: stride * height)
    }

    public subscript(x: Int, y: Int) -> Bool {
        get { words[y * stride + x / 64] >> UInt64(x % 64) & 1 != 0 }
        set {
            let bit = UInt64(1) << UInt64(x % 64)
            if newValue { words[y * stride + x / 64] |= bit } else { words[y * stride + x / 64] &= ~bit }
        }
    }

    /// Pixels set.
    public var count: Int { words.withUnsafeBufferPointer { $0.reduce(0) { $0 + $1.nonzeroBitCount } } }

    /// The mask of the valid bits of a row's last word.
    var lastWordMask: UInt64 { width % 64 == 0 ? ~0 : (UInt64(1) << UInt64(width % 64)) - 1 }

    /// Sets (or, `to: false`, clears) pixels `x0..<x1` of row `y`.
    mutating func setRange(y: Int, from x0: Int, to x1: Int, _ value: Bool = true) {
        guard x0 < x1 else { return }
        let base = y * stride
        var x = x0
        while x < x1 {
            let word = x / 64, offset = x % 64
            let span = min(64 - offset, x1 - x)
            let bits: UInt64 = span == 64 ? ~0 : ((UInt64(1) << UInt64(span)) - 1) << UInt64(offset)
            if value { words[base + word] |= bits } else { words[base + word] &= ~bits }
            x += span
        }
    }
}
