import CTurboJPEG

/// The frame header of a JPEG, read with libjpeg-turbo's TurboJPEG API (`tjDecompressHeader3`): pixel size and
/// chroma subsampling, without decoding a pixel. A header declaring 60000×60000 is read in microseconds and
/// allocates nothing for its pixels.
public struct JPEGHeader: Sendable, Equatable {
    /// Pixels.
    public let width: Int
    public let height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// Whether `bytes` start with the JPEG start-of-image marker and the first marker after it (`FF D8 FF`).
    public static func hasStartOfImage(_ bytes: some Collection<UInt8>) -> Bool {
        var iterator = bytes.makeIterator()
        return iterator.next() == 0xFF && iterator.next() == 0xD8 && iterator.next() == 0xFF
    }

    /// Parses the header in `bytes` (the file, or a prefix that holds its markers up to the start of scan).
    /// `nil` when TurboJPEG finds no valid frame header: not a JPEG, or its header lies beyond the prefix.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> JPEGHeader? {
        guard bytes.count >= 4, let base = bytes.baseAddress, let handle = tjInitDecompress() else { return nil }
        defer { tjDestroy(handle) }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let status = tjDecompressHeader3(
            handle, base.assumingMemoryBound(to: UInt8.self), UInt(bytes.count), &width, &height, &subsampling, &colorspace)
        guard status == 0, width > 0, height > 0 else { return nil }
        return JPEGHeader(width: Int(width), height: Int(height))
    }

    public static func parse(_ bytes: [UInt8]) -> JPEGHeader? {
        bytes.withUnsafeBytes { parse($0) }
    }
}
