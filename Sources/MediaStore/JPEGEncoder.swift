import CTurboJPEG

/// Encodes 8-bit grayscale pixels as a baseline JPEG with libjpeg-turbo (`tjCompress2`): the simulator's weigh-station
/// images and the tests' fixtures.
public enum JPEGEncoder {
    /// `pixels`: `width × height` bytes, row by row. `quality`: 1–100. `nil` when TurboJPEG refuses the input.
    public static func grayscale(_ pixels: [UInt8], width: Int, height: Int, quality: Int = 85) -> [UInt8]? {
        guard width > 0, height > 0, pixels.count == width * height, let handle = tjInitCompress() else { return nil }
        defer { tjDestroy(handle) }
        var output: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let status = pixels.withUnsafeBufferPointer { source in
            tjCompress2(
                handle, source.baseAddress, Int32(width), 0, Int32(height), Int32(TJPF_GRAY.rawValue), &output, &size,
                Int32(TJSAMP_GRAY.rawValue), Int32(max(1, min(100, quality))), 0)
        }
        defer { if let output { tjFree(output) } }
        guard status == 0, let output else { return nil }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }
}
