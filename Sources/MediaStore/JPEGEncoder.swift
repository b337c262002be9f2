import CTurboJPEG

/// Encodes pixels as a JPEG with libjpeg-turbo (`tjCompress2`): the simulator's weigh-station images and the tests'
/// fixtures (baseline or progressive; grayscale, YCbCr 4:2:0 from RGB, or Adobe CMYK).
public enum JPEGEncoder {
    /// How the pixels are laid out, and what the file holds.
    public enum Layout: Sendable {
        /// 1 byte a pixel; a one-component (grayscale) file.
        case gray
        /// 3 bytes a pixel (R, G, B); a YCbCr file with 4:2:0 chroma subsampling, as cameras write.
        case rgb
        /// 4 bytes a pixel (C, M, Y, K); a four-component Adobe file (what print workflows write).
        case cmyk

        var pixelFormat: TJPF {
            switch self {
            case .gray: TJPF_GRAY
            case .rgb: TJPF_RGB
            case .cmyk: TJPF_CMYK
            }
        }

        var bytesPerPixel: Int {
            switch self {
            case .gray: 1
            case .rgb: 3
            case .cmyk: 4
            }
        }

        var subsampling: TJSAMP {
            switch self {
            case .gray: TJSAMP_GRAY
            case .rgb: TJSAMP_420
            case .cmyk: TJSAMP_444
            }
        }
    }

    /// `pixels`: `width × height` bytes, row by row. `quality`: 1–100. `nil` when TurboJPEG refuses the input.
    public static func grayscale(_ pixels: [UInt8], width: Int, height: Int, quality: Int = 85) -> [UInt8]? {
        encode(pixels, layout: .gray, width: width, height: height, quality: quality)
    }

    /// `pixels`: `width × height × layout.bytesPerPixel` bytes, row by row. `quality`: 1–100. `progressive`: a
    /// progressive (SOF2) file instead of a baseline one. `nil` when TurboJPEG refuses the input.
    public static func encode(
        _ pixels: [UInt8], layout: Layout, width: Int, height: Int, quality: Int = 85, progressive: Bool = false
    ) -> [UInt8]? {
        guard width > 0, height > 0, pixels.count == width * height * layout.bytesPerPixel, let handle = tjInitCompress() else { return nil }
        defer { tjDestroy(handle) }
        var output: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let status = pixels.withUnsafeBufferPointer { source in
            tjCompress2(
                handle, source.baseAddress, Int32(width), 0, Int32(height), Int32(layout.pixelFormat.rawValue), &output, &size,
                Int32(layout.subsampling.rawValue), Int32(max(1, min(100, quality))), progressive ? TJFLAG_PROGRESSIVE : 0)
        }
        defer { if let output { tjFree(output) } }
        guard status == 0, let output else { return nil }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }
}
