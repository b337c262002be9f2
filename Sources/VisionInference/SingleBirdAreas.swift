import FarmIQCore
import Synchronization

/// Each camera's recent area of one bird, in pixels of the full-size image: the reference ``BirdDetector`` counts
/// touching birds against (a blob without a waist of more than 1.5× counts as `round(area / reference)` birds), so
/// that an image whose only blob is two birds pressed together still counts two.
///
/// It is the median of the per-image mean single-bird areas (``InferenceResult/singleBirdAreaPx``) of the camera's
/// last `window` analysed images younger than `maximumAge` — birds grow about 3% a day, and a new flock starts small
/// — and there is none before `minimumImages` such images. Kept in memory: after a restart each camera's first
/// `minimumImages` images count against their own median blob again.
public final class SingleBirdAreas: Sendable {
    let window: Int
    let minimumImages: Int
    let maximumAge: Duration
    private let recent = Mutex<[String: [(at: ContinuousClock.Instant, area: Double)]]>([:])

    public init(window: Int = 40, minimumImages: Int = 5, maximumAge: Duration = .seconds(24 * 3600)) {
        self.window = window
        self.minimumImages = minimumImages
        self.maximumAge = maximumAge
    }

    /// The camera's reference area, pixels² of the full-size image (nil: not enough recent images).
    public func reference(for camera: String, now: ContinuousClock.Instant = .now) -> Double? {
        let areas = recent.withLock { recent in (recent[camera] ?? []).filter { now - $0.at <= maximumAge }.map(\.area) }
        guard areas.count >= minimumImages else { return nil }
        return ScaleEstimate.median(areas)
    }

    /// Adds one image's mean single-bird area (pixels² of the full-size image).
    public func record(_ area: Double, for camera: String, at time: ContinuousClock.Instant = .now) {
        guard area > 0, area.isFinite else { return }
        recent.withLock { recent in
            var areas = recent[camera, default: []].filter { time - $0.at <= maximumAge }
            areas.append((time, area))
            if areas.count > window { areas.removeFirst(areas.count - window) }
            recent[camera] = areas
        }
    }
}
