/// How many birds one blob holds, from its shape: birds pressed together make a blob with a waist, and the distance
/// transform (each pixel's distance to the background) has one peak per body with a saddle at the waist. The pixels
/// deeper than `coreFraction` of the blob's deepest one form one core per body; a single bird's core is one stretch
/// along its spine, and its head (narrower than its body) has none of its own.
public enum TouchingBirds {
    /// Cores of the blob made of `runs` (one component's runs), 8-connected, each of at least 3 pixels. Holes in the
    /// blob (a dark feather, the comb) are filled first: a hole would cut one body's spine in two.
    /// `coreFraction`: 0.85 separates two bodies side by side whose outlines overlap by up to a fifth of their width.
    public static func cores(of runs: [ConnectedComponents.Run], coreFraction: Double = 0.85) -> Int {
        guard let first = runs.first else { return 0 }
        var minX = first.x0, maxX = first.x1, minY = first.y, maxY = first.y, area = 0
        for run in runs {
            minX = min(minX, run.x0)
            maxX = max(maxX, run.x1)
            minY = min(minY, run.y)
            maxY = max(maxY, run.y)
            area += run.x1 - run.x0 + 1
        }
        guard area >= 30 else { return 1 }
        // A one-pixel background frame around the box.
        let width = maxX - minX + 3, height = maxY - minY + 3
        let far = Int32.max / 2
        var distance = [Int32](repeating: 0, count: width * height)
        for run in runs {
            let base = (run.y - minY + 1) * width - minX + 1
            for x in run.x0...run.x1 { distance[base + x] = far }
        }
        // Holes: background components that do not reach the frame are inside the blob.
        var background = BinaryMask(width: width, height: height)
        for y in 0..<height { background.setRange(y: y, from: 0, to: width) }
        for run in runs { background.setRange(y: run.y - minY + 1, from: run.x0 - minX + 1, to: run.x1 - minX + 2, false) }
        let (holes, holeRuns) = ConnectedComponents.labelled(background)
        for run in holeRuns where !holes[run.component].touchesBorder {
            for x in run.x0...run.x1 { distance[run.y * width + x] = far }
        }
        // Chamfer 3-4 distance (units of a third of a pixel), forward then backward.
        distance.withUnsafeMutableBufferPointer { d in
            for y in 1..<(height - 1) {
                for x in 1..<(width - 1) where d[y * width + x] != 0 {
                    let i = y * width + x
                    d[i] = min(d[i], d[i - 1] + 3, d[i - width] + 3, d[i - width - 1] + 4, d[i - width + 1] + 4)
                }
            }
            for y in Swift.stride(from: height - 2, through: 1, by: -1) {
                for x in Swift.stride(from: width - 2, through: 1, by: -1) where d[y * width + x] != 0 {
                    let i = y * width + x
                    d[i] = min(d[i], d[i + 1] + 3, d[i + width] + 3, d[i + width + 1] + 4, d[i + width - 1] + 4)
                }
            }
        }
        let deepest = distance.max() ?? 0
        let level = Int32((Double(deepest) * coreFraction).rounded(.up))
        var core = BinaryMask(width: width, height: height)
        let floor = max(level, 1)
        for y in 0..<height {
            for word in 0..<core.stride {
                var bits: UInt64 = 0
                for j in 0..<min(64, width - word * 64) where distance[y * width + word * 64 + j] >= floor { bits |= UInt64(1) << UInt64(j) }
                core.words[y * core.stride + word] = bits
            }
        }
        return max(1, ConnectedComponents.label(core).filter { $0.area >= 3 }.count)
    }
}
