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

    /// 256-bin histogram of the pixels where `mask` is true (all pixels without a mask).
    public func histogram(mask: BinaryMask? = nil) -> [Int] {
        var bins = [Int](repeating: 0, count: 256)
        if let mask {
            for index in pixels.indices where mask.bits[index] { bins[Int(pixels[index])] += 1 }
        } else {
            for value in pixels { bins[Int(value)] += 1 }
        }
        return bins
    }
}

/// A binary image of the same size as the image it came from.
public struct BinaryMask: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var bits: [Bool]

    public init(width: Int, height: Int, bits: [Bool]) {
        precondition(bits.count == width * height)
        self.width = width
        self.height = height
        self.bits = bits
    }

    public init(width: Int, height: Int) {
        self.init(width: width, height: height, bits: [Bool](repeating: false, count: width * height))
    }

    public subscript(x: Int, y: Int) -> Bool {
        get { bits[y * width + x] }
        set { bits[y * width + x] = newValue }
    }

    public var count: Int { bits.reduce(0) { $0 + ($1 ? 1 : 0) } }
}
