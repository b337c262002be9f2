/// Finds the birds on a weigh platform in a top view (the pipeline of edge-vision-inference, every stage a plain
/// function over pixels):
///
/// 1. the platform: Otsu's threshold over the whole image separates the dark floor from the platform and the
///    birds; the largest bright component (after a 3×3 opening) is the platform region — none covering at least
///    10% of the image is the failure `no_platform`;
/// 2. the birds: Otsu's threshold again, inside the platform region, separates the platform from the brighter
///    birds; when the two classes' means are closer than `minimumContrast` levels there is no bird;
/// 3. components (8-connected, after an opening); blobs smaller than `minimumBirdFraction` of the single-bird area
///    are noise; blobs touching the image border are birds cut by it and are left out of the features (counted in
///    `cutByBorder`);
/// 4. touching birds: a blob larger than 1.5× the single-bird area counts as `round(area / single)` birds, the
///    single-bird area being the station's learned one when known, else the median blob area of the image.
public struct BirdDetector: Sendable {
    public struct Settings: Sendable {
        /// Fraction of the image the platform region must cover.
        public var minimumPlatformFraction = 0.10
        /// Levels between the platform and bird classes below which the platform is taken as empty.
        public var minimumContrast = 40.0
        /// Blobs under this fraction of the single-bird area are noise.
        public var minimumBirdFraction = 0.25
        /// Blobs under this many pixels are noise whatever the single-bird area.
        public var minimumBirdPixels = 60
        /// Mean level the platform must reach when no floor is in view (a dark image is not a platform).
        public var minimumPlatformLevel = 70.0
        /// Birds covering more of the platform than this is not a weigh platform seen from above (noise, a wall).
        public var maximumBirdCover = 0.6

        public init() {}
    }

    /// One bird (or, for touching birds, its share of their blob), in pixels of the analysed image.
    public struct Bird: Sendable, Equatable {
        public var areaPixels: Double
        public var perimeterPixels: Double
        public var majorAxisPixels: Double
        public var minorAxisPixels: Double
        public var centerX: Double
        public var centerY: Double
        /// How many birds share the blob this one came from (1: alone).
        public var sharedWith: Int
    }

    public struct Detection: Sendable, Equatable {
        public var birds: [Bird]
        /// Blobs left out because the image border cuts them.
        public var cutByBorder: Int
        public var platformFraction: Double
        public var count: Int { birds.count }
    }

    public enum Failure: Error, Sendable, Equatable {
        case noPlatform(fraction: Double)
        case notATopView(cover: Double)

        /// The `reason` of `inference.failed` (`contracts.md` §4).
        public var reason: String {
            switch self {
            case .noPlatform(let fraction): "no_platform: the brightest region covers \(Int(fraction * 100))% of the image"
            case .notATopView(let cover): "not_a_top_view: the bright class covers \(Int(cover * 100))% of the platform"
            }
        }
    }

    public let settings: Settings

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// `singleBirdArea`: the station's learned area of one bird, in pixels of `image` (nil: not known yet).
    public func detect(_ image: GrayImage, singleBirdArea: Double? = nil) -> Result<Detection, Failure> {
        let total = Double(image.width * image.height)
        let wholeHistogram = image.histogram()
        guard let floorLevel = Threshold.otsu(wholeHistogram) else { return .failure(.noPlatform(fraction: 0)) }
        let bright = Morphology.open(Threshold.mask(image, above: floorLevel))
        let brightRegion = largestRegion(bright)
        var platform: BinaryMask
        if let brightRegion, Double(brightRegion.count) >= settings.minimumPlatformFraction * total {
            platform = brightRegion
        } else if contrast(wholeHistogram, at: floorLevel) >= settings.minimumContrast,
            meanLevel(wholeHistogram, through: floorLevel) >= settings.minimumPlatformLevel {
            // No dark floor in view: the camera sees only the platform (the dark class) and a few bright birds.
            platform = BinaryMask(width: image.width, height: image.height, bits: [Bool](repeating: true, count: image.width * image.height))
        } else {
            return .failure(.noPlatform(fraction: Double(brightRegion?.count ?? 0) / total))
        }
        let platformFraction = Double(platform.count) / total
        let histogram = image.histogram(mask: platform)
        guard let birdLevel = Threshold.otsu(histogram), contrast(histogram, at: birdLevel) >= settings.minimumContrast else {
            return .success(Detection(birds: [], cutByBorder: 0, platformFraction: platformFraction))
        }
        let birdMask = Morphology.open(Threshold.mask(image, above: birdLevel, within: platform))
        if Double(birdMask.count) > settings.maximumBirdCover * Double(platform.count) {
            return .failure(.notATopView(cover: Double(birdMask.count) / Double(platform.count)))
        }
        var blobs = ConnectedComponents.label(birdMask).filter { $0.area >= settings.minimumBirdPixels }
        let inside = blobs.filter { !$0.touchesBorder }
        let reference = singleBirdArea ?? median(inside.map { Double($0.area) })
        if let reference {
            blobs = blobs.filter { Double($0.area) >= settings.minimumBirdFraction * reference }
        }
        var birds: [Bird] = []
        var cut = 0
        for blob in blobs {
            if blob.touchesBorder {
                cut += 1
                continue
            }
            let area = Double(blob.area)
            let share = reference.map { area > 1.5 * $0 ? max(1, Int((area / $0).rounded())) : 1 } ?? 1
            let axes = blob.ellipseAxes
            let (cx, cy) = blob.centroid
            for _ in 0..<share {
                birds.append(Bird(
                    areaPixels: area / Double(share), perimeterPixels: Double(blob.perimeter) / Double(share),
                    majorAxisPixels: share == 1 ? axes.major : axes.major / Double(share).squareRoot(),
                    minorAxisPixels: share == 1 ? axes.minor : axes.minor / Double(share).squareRoot(),
                    centerX: cx, centerY: cy, sharedWith: share))
            }
        }
        return .success(Detection(birds: birds, cutByBorder: cut, platformFraction: platformFraction))
    }

    /// The largest 8-connected region of `mask`, as a mask.
    func largestRegion(_ mask: BinaryMask) -> BinaryMask? {
        let (components, labels) = ConnectedComponents.labelled(mask)
        guard let largest = components.indices.max(by: { components[$0].area < components[$1].area }) else { return nil }
        let label = Int32(largest)
        return BinaryMask(width: mask.width, height: mask.height, bits: labels.map { $0 == label })
    }

    /// Difference between the mean levels of the two classes `threshold` makes.
    func contrast(_ histogram: [Int], at threshold: Int) -> Double {
        var low = (count: 0, sum: 0), high = (count: 0, sum: 0)
        for (level, count) in histogram.enumerated() {
            if level <= threshold { low.count += count; low.sum += level * count } else { high.count += count; high.sum += level * count }
        }
        guard low.count > 0, high.count > 0 else { return 0 }
        return Double(high.sum) / Double(high.count) - Double(low.sum) / Double(low.count)
    }

    /// Mean level of the pixels at or below `threshold`.
    func meanLevel(_ histogram: [Int], through threshold: Int) -> Double {
        var count = 0, sum = 0
        for level in 0...threshold {
            count += histogram[level]
            sum += level * histogram[level]
        }
        return count > 0 ? Double(sum) / Double(count) : 0
    }

    private func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
