import FarmIQCore
/// Finds the birds on a weigh platform in a top view (the pipeline of edge-vision-inference, every stage a plain
/// function over pixels):
///
/// 1. the platform: Otsu's threshold over the whole image separates the dark floor from the platform and the
///    birds (the lower of three-class Otsu's levels when the image holds three distinct classes); the largest bright component (after a 3×3 opening, on a copy shrunk to ~90 pixels high) is the platform
///    region — none covering at least 10% of the image is the failure `no_platform`;
/// 2. the lighting: the platform's level is fitted as a smooth surface and divided out (``LightingCorrection``);
/// 3. the birds: Otsu's threshold over the flattened platform separates it from the brighter birds; when the two
///    classes' means are closer than `minimumBirdContrast` levels there is no bird;
/// 4. components (8-connected, after an opening); blobs smaller than `minimumBirdFraction` of the single-bird area
///    are noise; blobs touching the image border are birds cut by it: counted, but left out of the features (their
///    area is not the bird's);
/// 5. touching birds: a blob holds as many birds as its distance transform has cores (``TouchingBirds``); a blob
///    with one core (no waist) that is more than 1.5× the single-bird area counts `round(area / single)` — the
///    single-bird area being the camera's recent one when known (``SingleBirdAreas``), else the image's median
///    one-body blob (at most 1.25× its smallest bird).
public struct BirdDetector: Sendable {
    public struct Settings: Sendable {
        /// Fraction of the image the platform region must cover.
        public var minimumPlatformFraction = 0.10
        /// Levels between the platform and bird classes below which the platform is taken as empty.
        public var minimumContrast = 40.0
        /// Levels between the flattened platform (128) and the bird class below which the platform is taken as empty
        /// (25: birds at least a fifth brighter than the platform around them).
        public var minimumBirdContrast = 25.0
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
        /// Birds the image border cuts: counted, left out of the features (their area is not the bird's).
        public var cutByBorder: Int
        public var platformFraction: Double
        /// Birds on the platform: the whole ones and the ones cut by the border (the scale weighs both).
        public var count: Int { birds.count + cutByBorder }
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

    /// `singleBirdArea`: the camera's recent area of one bird, in pixels of `image` (nil: not known yet; the
    /// image's own median single-bird blob is used).
    public func detect(_ image: GrayImage, singleBirdArea: Double? = nil) -> Result<Detection, Failure> {
        let total = Double(image.width * image.height)
        // The floor and the platform are large: they are found on a copy shrunk to about 90 pixels on its short side.
        let factor = max(1, min(image.width, image.height) / 90)
        let coarse = factor == 1 ? image : image.shrunk(by: factor)
        let wholeHistogram = coarse.histogram()
        guard var floorLevel = Threshold.otsu(wholeHistogram) else { return .failure(.noPlatform(fraction: 0)) }
        if let (low, high) = Threshold.otsu3(wholeHistogram), classesAreDistinct(wholeHistogram, low: low, high: high) {
            // Floor, platform and birds, each a class of its own: the floor ends at the lower level (two classes
            // would put the line between the birds and the rest when many birds stand on the platform).
            floorLevel = low
        }
        var region = platformRegion(image, coarse: coarse, factor: factor, floorLevel: floorLevel)
        if Double(region?.count ?? 0) < settings.minimumPlatformFraction * total,
            let lower = Threshold.otsu(Array(wholeHistogram[0...floorLevel]) + [Int](repeating: 0, count: 255 - floorLevel)),
            let below = platformRegion(image, coarse: coarse, factor: factor, floorLevel: lower),
            Double(below.count) >= settings.minimumPlatformFraction * total {
            // Many birds make the brightest class theirs: the floor is split from the platform one class lower.
            floorLevel = lower
            region = below
        }
        let platform: BinaryMask
        if let region, Double(region.count) >= settings.minimumPlatformFraction * total {
            platform = region
        } else if contrast(wholeHistogram, at: floorLevel) >= settings.minimumContrast,
            meanLevel(wholeHistogram, through: floorLevel) >= settings.minimumPlatformLevel {
            // No dark floor in view: the camera sees only the platform (the dark class) and a few bright birds.
            var whole = BinaryMask(width: image.width, height: image.height)
            for y in 0..<image.height { whole.setRange(y: y, from: 0, to: image.width) }
            platform = whole
        } else {
            return .failure(.noPlatform(fraction: Double(region?.count ?? 0) / total))
        }
        let platformArea = platform.count
        let platformFraction = Double(platformArea) / total
        // The lighting, flattened: the platform at level 128 wherever it lies.
        let step = max(2, min(image.width, image.height) / 60)
        let gains = LightingCorrection.Gains(
            surface: LightingCorrection.fit(image, platform: platform, step: step), width: image.width, height: image.height)
        let histogram = gains.histogram(image, platform: platform, rowStep: image.height >= 200 ? 2 : 1)
        guard let birdLevel = Threshold.otsu(histogram), contrast(histogram, at: birdLevel) >= settings.minimumBirdContrast else {
            return .success(Detection(birds: [], cutByBorder: 0, platformFraction: platformFraction))
        }
        let birdMask = Morphology.open(gains.mask(image, above: birdLevel, within: platform))
        let cover = Double(birdMask.count) / Double(platformArea)
        if cover > settings.maximumBirdCover { return .failure(.notATopView(cover: cover)) }
        let (components, runs) = ConnectedComponents.labelled(birdMask)
        var runsOf = [[ConnectedComponents.Run]](repeating: [], count: components.count)
        for run in runs { runsOf[run.component].append(run) }
        var blobs = components.indices.filter { components[$0].area >= settings.minimumBirdPixels }
            .map { (component: components[$0], cores: TouchingBirds.cores(of: runsOf[$0])) }
        // The image's own reference: the median blob with one body, not cut by the border — at most 1.25× the smallest
        // (with two blobs, one of them a pair, the median would be half a pair too large).
        let singles = blobs.filter { !$0.component.touchesBorder && $0.cores == 1 }.map { Double($0.component.area) }
        let imageMedian = ScaleEstimate.median(singles).map { middle in
            // The smallest that is a bird, not a speck.
            min(middle, 1.25 * singles.filter { $0 >= settings.minimumBirdFraction * middle }.min()!)
        }
        let reference = singleBirdArea ?? imageMedian
        if let reference {
            let smallest = settings.minimumBirdFraction * min(reference, imageMedian ?? reference)
            blobs = blobs.filter { Double($0.component.area) >= smallest }
        }
        var birds: [Bird] = []
        var cut = 0
        for (blob, cores) in blobs {
            if blob.touchesBorder {
                cut += 1
                continue
            }
            let area = Double(blob.area)
            let byArea = reference.map { area > 1.5 * $0 ? max(1, Int((area / $0).rounded())) : 1 } ?? 1
            // The waist, when the blob has one, says how many; a shapeless blob is counted by its area.
            let share = cores >= 2 ? cores : byArea
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

    /// The platform: the largest bright region of `coarse` (`image` shrunk by `factor`; above `floorLevel`, after an
    /// opening), drawn back at the size of `image`.
    func platformRegion(_ image: GrayImage, coarse: GrayImage, factor: Int, floorLevel: Int) -> BinaryMask? {
        let (components, runs) = ConnectedComponents.labelled(Morphology.open(Threshold.mask(coarse, above: floorLevel)))
        guard let largest = components.indices.max(by: { components[$0].area < components[$1].area }) else { return nil }
        var region = BinaryMask(width: image.width, height: image.height)
        for run in runs where run.component == largest {
            let lastRow = run.y == coarse.height - 1 ? image.height : (run.y + 1) * factor
            let right = run.x1 == coarse.width - 1 ? image.width : (run.x1 + 1) * factor
            for y in (run.y * factor)..<lastRow { region.setRange(y: y, from: run.x0 * factor, to: right) }
        }
        return region
    }

    /// Whether the three classes `low` and `high` make are floor, platform and birds: the middle one covers at least
    /// `minimumPlatformFraction` of the image and each class's mean is `minimumContrast` levels from the next.
    func classesAreDistinct(_ histogram: [Int], low: Int, high: Int) -> Bool {
        var classes = [(count: 0, sum: 0), (count: 0, sum: 0), (count: 0, sum: 0)]
        for (level, count) in histogram.enumerated() {
            let index = level <= low ? 0 : level <= high ? 1 : 2
            classes[index].count += count
            classes[index].sum += level * count
        }
        guard classes.allSatisfy({ $0.count > 0 }) else { return false }
        let total = Double(classes.reduce(0) { $0 + $1.count })
        let means = classes.map { Double($0.sum) / Double($0.count) }
        return Double(classes[1].count) >= settings.minimumPlatformFraction * total
            && means[1] - means[0] >= settings.minimumContrast && means[2] - means[1] >= settings.minimumContrast
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
}
