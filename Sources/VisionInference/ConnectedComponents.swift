/// 8-connected components of a binary mask, with what the bird features need: area, first and second moments,
/// bounding box, perimeter (foreground pixels with a 4-neighbour in the background) and whether the component
/// touches the image border. Run-based: memory proportional to the runs, no recursion.
public enum ConnectedComponents {
    public struct Component: Sendable, Equatable {
        public var area = 0
        public var sumX = 0.0, sumY = 0.0
        public var sumXX = 0.0, sumYY = 0.0, sumXY = 0.0
        public var minX = Int.max, minY = Int.max, maxX = Int.min, maxY = Int.min
        public var perimeter = 0
        public var touchesBorder = false

        public var centroid: (x: Double, y: Double) { (sumX / Double(area), sumY / Double(area)) }

        /// Axes of the ellipse with the same second moments, pixels (full lengths): `4·√λ` of the covariance.
        public var ellipseAxes: (major: Double, minor: Double) {
            let n = Double(area)
            let mx = sumX / n, my = sumY / n
            let cxx = sumXX / n - mx * mx, cyy = sumYY / n - my * my, cxy = sumXY / n - mx * my
            let trace = cxx + cyy, determinant = cxx * cyy - cxy * cxy
            let root = max(0, trace * trace / 4 - determinant).squareRoot()
            let l1 = max(0, trace / 2 + root), l2 = max(0, trace / 2 - root)
            return (4 * l1.squareRoot(), 4 * l2.squareRoot())
        }
    }

    /// One run of set pixels in a row, `x0...x1`, and the component it belongs to.
    public struct Run: Sendable, Equatable {
        public var y: Int
        public var x0: Int
        public var x1: Int
        public var component: Int
    }

    public static func label(_ mask: BinaryMask) -> [Component] {
        labelled(mask).components
    }

    /// The components, and the runs of set pixels (row by row, left to right) with the index of their component.
    ///
    /// Run-based labelling: runs are found with bit scans of the packed mask; each row's runs are joined (union–find)
    /// with the runs of the row above that they touch, diagonals included; the sums of a run's moments have closed
    /// forms, and its perimeter is its length less the pixels inside it with set pixels above and below (a popcount).
    public static func labelled(_ mask: BinaryMask) -> (components: [Component], runs: [Run]) {
        let width = mask.width, height = mask.height, stride = mask.stride
        var runs: [Run] = []
        var parent: [Int] = []
        func root(_ node: Int) -> Int {
            var node = node
            while parent[node] != node {
                parent[node] = parent[parent[node]]
                node = parent[node]
            }
            return node
        }
        var previous = 0..<0
        var above = 0
        func emit(y: Int, x0: Int, x1: Int) {
            let node = parent.count
            parent.append(node)
            runs.append(Run(y: y, x0: x0, x1: x1, component: node))
            // Runs above that end left of this one's reach cannot touch it or any later one.
            while above < previous.upperBound, runs[above].x1 < x0 - 1 { above += 1 }
            var candidate = above
            while candidate < previous.upperBound, runs[candidate].x0 <= x1 + 1 {
                let a = root(runs[candidate].component), b = root(node)
                if a != b { parent[max(a, b)] = min(a, b) }
                candidate += 1
            }
        }
        mask.words.withUnsafeBufferPointer { words in
            for y in 0..<height {
                let first = runs.count
                above = previous.lowerBound
                var open = -1
                for i in 0..<stride {
                    var word = words[y * stride + i]
                    if open >= 0 {
                        let ones = (~word).trailingZeroBitCount
                        if ones == 64 { continue }
                        emit(y: y, x0: open, x1: i * 64 + ones - 1)
                        open = -1
                        word &= ~((UInt64(1) << UInt64(ones)) - 1)
                    }
                    while word != 0 {
                        let start = word.trailingZeroBitCount
                        let length = (~(word >> UInt64(start))).trailingZeroBitCount
                        if start + length == 64 {
                            open = i * 64 + start
                            break
                        }
                        emit(y: y, x0: i * 64 + start, x1: i * 64 + start + length - 1)
                        word &= ~(((UInt64(1) << UInt64(length)) - 1) << UInt64(start))
                    }
                }
                if open >= 0 { emit(y: y, x0: open, x1: width - 1) }
                previous = first..<runs.count
            }
        }
        var index = [Int](repeating: -1, count: parent.count)
        var components: [Component] = []
        mask.words.withUnsafeBufferPointer { words in
            for r in runs.indices {
                let top = root(runs[r].component)
                if index[top] < 0 {
                    index[top] = components.count
                    components.append(Component())
                }
                let id = index[top]
                runs[r].component = id
                let run = runs[r]
                let length = run.x1 - run.x0 + 1
                let n = Double(length), fy = Double(run.y)
                let sumX = (Double(run.x0) + Double(run.x1)) * n / 2
                let sumXX = squares(through: run.x1) - squares(through: run.x0 - 1)
                var perimeter = length
                if run.y > 0, run.y < height - 1, length > 2 {
                    // Pixels x0 + 1 ... x1 − 1 with set pixels above and below are inside the outline.
                    var x = run.x0 + 1
                    while x < run.x1 {
                        let word = x / 64, offset = x % 64, span = min(64 - offset, run.x1 - x)
                        let bits: UInt64 = span == 64 ? ~0 : ((UInt64(1) << UInt64(span)) - 1) << UInt64(offset)
                        let inside = words[(run.y - 1) * stride + word] & words[(run.y + 1) * stride + word] & bits
                        perimeter -= inside.nonzeroBitCount
                        x += span
                    }
                }
                components[id].area += length
                components[id].sumX += sumX
                components[id].sumY += fy * n
                components[id].sumXX += sumXX
                components[id].sumYY += fy * fy * n
                components[id].sumXY += fy * sumX
                components[id].minX = min(components[id].minX, run.x0)
                components[id].maxX = max(components[id].maxX, run.x1)
                components[id].minY = min(components[id].minY, run.y)
                components[id].maxY = max(components[id].maxY, run.y)
                components[id].perimeter += perimeter
                if run.y == 0 || run.y == height - 1 || run.x0 == 0 || run.x1 == width - 1 { components[id].touchesBorder = true }
            }
        }
        return (components, runs)
    }

    /// `0² + 1² + … + n²` (0 for n < 1).
    private static func squares(through n: Int) -> Double {
        guard n > 0 else { return 0 }
        let n = Double(n)
        return n * (n + 1) * (2 * n + 1) / 6
    }
}
