import CTurboJPEG

/// Decodes a JPEG to its luminance only, with libjpeg-turbo's TurboJPEG API (`tjDecompress2` into `TJPF_GRAY`), at
/// full size or scaled down by 2, 4 or 8 inside the decoder (the IDCT skips what the smaller size does not need).
/// Warnings stop the decode (`TJFLAG_STOPONWARNING`): a truncated or corrupt file is a failure, not a gray guess.
/// Baseline and progressive files, one-component, YCbCr (only Y is decoded) and four-component (CMYK, YCCK) ones.
public enum JPEGDecoder {
    public enum Failure: Error, Sendable, Equatable {
        /// Not a JPEG TurboJPEG can read, truncated, or corrupt; the decoder's message.
        case corrupt(String)
        /// Smaller than 16×16 pixels.
        case tooSmall(width: Int, height: Int)
        /// Larger than the media store's 8192×8192 (it never stores one; checked again here).
        case tooLarge(width: Int, height: Int)

        /// The `reason` of `inference.failed` (`contracts.md` §4).
        public var reason: String {
            switch self {
            case .corrupt(let message): "corrupt_jpeg: \(message)"
            case .tooSmall(let width, let height): "image_too_small: \(width)×\(height)"
            case .tooLarge(let width, let height): "image_too_large: \(width)×\(height)"
            }
        }
    }

    /// The frame's size, without decoding.
    public static func header(_ jpeg: [UInt8]) throws(Failure) -> (width: Int, height: Int) {
        guard let handle = tjInitDecompress() else { throw .corrupt("TurboJPEG could not start") }
        defer { tjDestroy(handle) }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let status = jpeg.withUnsafeBufferPointer { source in
            tjDecompressHeader3(handle, source.baseAddress, UInt(source.count), &width, &height, &subsampling, &colorspace)
        }
        guard status == 0 else { throw .corrupt(message(handle)) }
        return (Int(width), Int(height))
    }

    /// `scale`: 1, 2, 4 or 8 (the decoded image is `ceil(width / scale) × ceil(height / scale)`).
    public static func luminance(_ jpeg: [UInt8], scale: Int = 1) -> Result<GrayImage, Failure> {
        luminance(jpeg) { _, _ in scale }
    }

    /// `scale` chooses 1, 2, 4 or 8 from the frame's width and height, read from the header this decode parses
    /// anyway (one header parse per image).
    public static func luminance(_ jpeg: [UInt8], scale: (_ width: Int, _ height: Int) -> Int) -> Result<GrayImage, Failure> {
        guard let handle = tjInitDecompress() else { return .failure(.corrupt("TurboJPEG could not start")) }
        defer { tjDestroy(handle) }
        return jpeg.withUnsafeBufferPointer { source -> Result<GrayImage, Failure> in
            guard let base = source.baseAddress, source.count >= 4 else { return .failure(.corrupt("empty file")) }
            var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
            guard tjDecompressHeader3(handle, base, UInt(source.count), &width, &height, &subsampling, &colorspace) == 0 else {
                return .failure(.corrupt(message(handle)))
            }
            guard width >= 16, height >= 16 else { return .failure(.tooSmall(width: Int(width), height: Int(height))) }
            guard width <= 8192, height <= 8192 else { return .failure(.tooLarge(width: Int(width), height: Int(height))) }
            let scale = scale(Int(width), Int(height))
            precondition([1, 2, 4, 8].contains(scale))
            let scaledWidth = (Int(width) + scale - 1) / scale, scaledHeight = (Int(height) + scale - 1) / scale
            let fourComponents = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
            // libjpeg converts no four-component file to gray: decode those as CMYK and take the luminance here.
            var pixels = [UInt8](repeating: 0, count: scaledWidth * scaledHeight * (fourComponents ? 4 : 1))
            let status = pixels.withUnsafeMutableBufferPointer { destination in
                tjDecompress2(
                    handle, base, UInt(source.count), destination.baseAddress, Int32(scaledWidth), 0, Int32(scaledHeight),
                    Int32((fourComponents ? TJPF_CMYK : TJPF_GRAY).rawValue), TJFLAG_STOPONWARNING)
            }
            guard status == 0 else { return .failure(.corrupt(message(handle))) }
            if fourComponents { pixels = luminance(cmyk: pixels) }
            return .success(GrayImage(width: scaledWidth, height: scaledHeight, pixels: pixels))
        }
    }

    /// Rec. 601 luma of CMYK pixels (4 bytes each, as TurboJPEG returns them: 0 is no ink), through
    /// `R = (255 − C)(255 − K) / 255` and its like.
    static func luminance(cmyk: [UInt8]) -> [UInt8] {
        var gray = [UInt8](repeating: 0, count: cmyk.count / 4)
        for index in gray.indices {
            let c = Int(cmyk[4 * index]), m = Int(cmyk[4 * index + 1]), y = Int(cmyk[4 * index + 2]), k = Int(cmyk[4 * index + 3])
            // 0.299, 0.587, 0.114 in 1/1024ths; the sum of the weights is 1024.
            let ink = 306 * (255 - c) + 601 * (255 - m) + 117 * (255 - y)
            gray[index] = UInt8(ink * (255 - k) / (1024 * 255))
        }
        return gray
    }

    private static func message(_ handle: tjhandle) -> String {
        guard let text = tjGetErrorStr2(handle) else { return "unknown error" }
        return String(String(cString: text).prefix(120))
    }
}
