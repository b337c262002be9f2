/// Binary morphology with a 3×3 square: erosion, dilation, and opening (erosion then dilation), which removes
/// specks of noise smaller than the element and keeps the shape of larger blobs. Outside the image counts as
/// background. The square is separable and the mask packed: each operation is a 1×3 pass along each row (the word
/// and its neighbours shifted by one bit), then a 3×1 pass down the columns (three rows of words combined).
public enum Morphology {
    public static func erode(_ mask: BinaryMask) -> BinaryMask {
        combine(mask, erode: true)
    }

    public static func dilate(_ mask: BinaryMask) -> BinaryMask {
        combine(mask, erode: false)
    }

    public static func open(_ mask: BinaryMask) -> BinaryMask { dilate(erode(mask)) }

    /// Erosion (AND of the 3×3 neighbourhood, outside clear) or dilation (OR).
    private static func combine(_ mask: BinaryMask, erode: Bool) -> BinaryMask {
        let stride = mask.stride, height = mask.height, last = mask.lastWordMask
        var rows = [UInt64](repeating: 0, count: mask.words.count)
        var out = BinaryMask(width: mask.width, height: height)
        guard stride > 0, height > 0 else { return out }
        mask.words.withUnsafeBufferPointer { m in
            rows.withUnsafeMutableBufferPointer { r in
                for y in 0..<height {
                    let base = y * stride
                    for i in 0..<stride {
                        let word = m[base + i]
                        let previous = i > 0 ? m[base + i - 1] : 0, next = i < stride - 1 ? m[base + i + 1] : 0
                        // Pixel x sees x − 1 (shift left, carry from the word before) and x + 1 (shift right).
                        let left = word << 1 | previous >> 63, right = word >> 1 | next << 63
                        var combined = erode ? word & left & right : word | left | right
                        if i == stride - 1 { combined &= last }
                        r[base + i] = combined
                    }
                }
            }
        }
        rows.withUnsafeBufferPointer { r in
            out.words.withUnsafeMutableBufferPointer { o in
                for y in 0..<height {
                    let base = y * stride
                    for i in 0..<stride {
                        let above: UInt64 = y > 0 ? r[base - stride + i] : 0, below: UInt64 = y < height - 1 ? r[base + stride + i] : 0
                        o[base + i] = erode ? above & r[base + i] & below : above | r[base + i] | below
                    }
                }
            }
        }
        return out
    }
}
