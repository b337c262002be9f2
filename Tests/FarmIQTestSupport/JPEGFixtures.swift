import MediaStore

/// Real JPEGs for the tests (unit and end to end), made with TurboJPEG, and hostile variants of them.
public enum JPEGFixtures {
    /// A `width × height` gray gradient.
    public static func image(width: Int = 64, height: Int = 48, quality: Int = 85) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height { for x in 0..<width { pixels[y * width + x] = UInt8((x * 7 + y * 3) & 0xFF) } }
        return JPEGEncoder.grayscale(pixels, width: width, height: height, quality: quality)!
    }

    /// A valid JPEG whose frame header (SOF0) declares `width × height` instead of its real size.
    public static func declaring(width: Int, height: Int) -> [UInt8] {
        var bytes = image()
        var index = 2
        while index + 9 < bytes.count {
            guard bytes[index] == 0xFF else { break }
            let marker = bytes[index + 1]
            let length = Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
            if marker == 0xC0 || marker == 0xC1 || marker == 0xC2 {
                bytes[index + 5] = UInt8(height >> 8)
                bytes[index + 6] = UInt8(height & 0xFF)
                bytes[index + 7] = UInt8(width >> 8)
                bytes[index + 8] = UInt8(width & 0xFF)
                return bytes
            }
            index += 2 + length
        }
        fatalError("no frame header in the fixture")
    }
}
