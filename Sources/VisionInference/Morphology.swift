/// Binary morphology with a 3×3 square: erosion, dilation, and opening (erosion then dilation), which removes
/// specks of noise smaller than the element and keeps the shape of larger blobs. Outside the image counts as
/// background.
public enum Morphology {
    public static func erode(_ mask: BinaryMask) -> BinaryMask {
        var out = BinaryMask(width: mask.width, height: mask.height)
        guard mask.width > 2, mask.height > 2 else { return out }
        for y in 1..<(mask.height - 1) {
            for x in 1..<(mask.width - 1) where mask[x, y] {
                out[x, y] = mask[x - 1, y - 1] && mask[x, y - 1] && mask[x + 1, y - 1]
                    && mask[x - 1, y] && mask[x + 1, y] && mask[x - 1, y + 1] && mask[x, y + 1] && mask[x + 1, y + 1]
            }
        }
        return out
    }

    public static func dilate(_ mask: BinaryMask) -> BinaryMask {
        var out = BinaryMask(width: mask.width, height: mask.height)
        for y in 0..<mask.height {
            for x in 0..<mask.width where mask[x, y] {
                for dy in -1...1 {
                    let yy = y + dy
                    guard yy >= 0, yy < mask.height else { continue }
                    for dx in -1...1 {
                        let xx = x + dx
                        if xx >= 0, xx < mask.width { out[xx, yy] = true }
                    }
                }
            }
        }
        return out
    }

    public static func open(_ mask: BinaryMask) -> BinaryMask { dilate(erode(mask)) }
}
