/// 8-connected components of a binary mask, with what the bird features need: area, first and second moments,
/// bounding box, perimeter (foreground pixels with a 4-neighbour in the background) and whether the component
/// touches the image border. A scan with an explicit stack: no recursion, memory proportional to the image.
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

    public static func label(_ mask: BinaryMask) -> [Component] {
        labelled(mask).components
    }

    /// The components and, per pixel, the index of its component (`-1`: background).
    public static func labelled(_ mask: BinaryMask) -> (components: [Component], labels: [Int32]) {
        let width = mask.width, height = mask.height
        var labels = [Int32](repeating: -1, count: width * height)
        var components: [Component] = []
        var stack: [Int] = []
        for start in 0..<(width * height) where mask.bits[start] && labels[start] < 0 {
            var component = Component()
            let current = Int32(components.count)
            labels[start] = current
            stack.append(start)
            while let index = stack.popLast() {
                let x = index % width, y = index / width
                component.area += 1
                let fx = Double(x), fy = Double(y)
                component.sumX += fx
                component.sumY += fy
                component.sumXX += fx * fx
                component.sumYY += fy * fy
                component.sumXY += fx * fy
                component.minX = min(component.minX, x)
                component.maxX = max(component.maxX, x)
                component.minY = min(component.minY, y)
                component.maxY = max(component.maxY, y)
                if x == 0 || y == 0 || x == width - 1 || y == height - 1 { component.touchesBorder = true }
                var boundary = false
                for dy in -1...1 {
                    let yy = y + dy
                    guard yy >= 0, yy < height else {
                        boundary = true
                        continue
                    }
                    for dx in -1...1 where dx != 0 || dy != 0 {
                        let xx = x + dx
                        guard xx >= 0, xx < width else {
                            boundary = true
                            continue
                        }
                        let neighbour = yy * width + xx
                        if mask.bits[neighbour] {
                            if labels[neighbour] < 0 {
                                labels[neighbour] = current
                                stack.append(neighbour)
                            }
                        } else if dx == 0 || dy == 0 {
                            boundary = true
                        }
                    }
                }
                if boundary { component.perimeter += 1 }
            }
            components.append(component)
        }
        return (components, labels)
    }
}
