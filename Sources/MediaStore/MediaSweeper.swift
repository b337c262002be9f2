import FarmIQCore
import FarmIQStorage
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle

/// Keeps the media volume from leaking and from filling (`contracts.md` §3), at start and every `interval`:
///
/// 1. deletes files in `.tmp/` (uploads cut short by a crash or a disconnect);
/// 2. deletes image files under the contract layout that have no `media_objects` row (a crash between publishing
///    the file and committing its row: the device never got `201` and sends it again);
/// 3. while the volume is at or above its soft watermark, deletes the files of images the cloud already has,
///    oldest `captured_at` first, and marks them evicted — never an image the cloud lacks.
///
/// At start every such file goes; later passes spare files younger than `graceAge` and those an upload in
/// progress holds (``MediaIntake``), so a sweep never races an upload.
public struct MediaSweeper: Service {
    public struct Configuration: Sendable {
        public var interval: Duration
        public var graceAge: Duration
        public var softWatermark: Double
        public var reclaimChunk: Int

        public init(interval: Duration = .seconds(300), graceAge: Duration = .seconds(600), softWatermark: Double, reclaimChunk: Int = 100) {
            self.interval = interval
            self.graceAge = graceAge
            self.softWatermark = softWatermark
            self.reclaimChunk = reclaimChunk
        }
    }

    /// What one pass removed.
    public struct Pass: Sendable, Equatable {
        public var temporary = 0
        public var orphans = 0
        public var reclaimed = 0
    }

    let configuration: Configuration
    let intake: MediaIntake
    let metrics: MediaMetrics
    var volume: MediaVolume { intake.volume }
    var store: any MediaObjectStore { intake.store }
    var logger: Logger { intake.logger }

    public init(configuration: Configuration, intake: MediaIntake, metrics: MediaMetrics) {
        self.configuration = configuration
        self.intake = intake
        self.metrics = metrics
    }

    public func run() async throws {
        var first = true
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                _ = try await sweep(atStart: first)
                first = false
            } catch {
                logger.warning("media sweep failed", metadata: ["error": "\(error)"])
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.configuration.interval) }
            } catch {
                return
            }
        }
    }

    /// One pass. `atStart`: nothing is in flight, every leftover goes whatever its age.
    public func sweep(atStart: Bool) async throws -> Pass {
        var pass = Pass()
        try await volume.prepare()
        let cutoff = atStart ? Date.distantFuture : Date().addingTimeInterval(-configuration.graceAge.seconds)
        let listing = try await NIOThreadPool.singleton.runIfActive { [root = volume.root] in Self.list(root: root) }
        let busy = intake.inFlight.withLock { $0 }

        for file in listing.temporary where file.modified < cutoff && !busy.contains(file.absolute) {
            if await volume.remove(absolute: file.absolute) { pass.temporary += 1 }
        }
        let candidates = listing.images.filter { $0.modified < cutoff && !busy.contains($0.absolute) }
        for start in stride(from: 0, to: candidates.count, by: 500) {
            let chunk = Array(candidates[start..<min(start + 500, candidates.count)])
            let known = try await store.existingPaths(chunk.map(\.relative))
            for file in chunk where !known.contains(file.relative) && !intake.inFlight.withLock({ $0.contains(file.absolute) }) {
                if await volume.remove(absolute: file.absolute) {
                    pass.orphans += 1
                    logger.warning("media sweep removed a file without a row", metadata: ["media.path": "\(file.relative)"])
                }
            }
        }
        pass.reclaimed = try await reclaim()
        metrics.swept(kind: "temporary", count: pass.temporary)
        metrics.swept(kind: "orphan", count: pass.orphans)
        if pass != Pass() {
            logger.info("media sweep", metadata: [
                "removed.temporary": "\(pass.temporary)", "removed.orphans": "\(pass.orphans)", "reclaimed": "\(pass.reclaimed)",
            ])
        }
        return pass
    }

    /// Deletes files of uploaded images, oldest first, while the volume is at or above the soft watermark.
    func reclaim() async throws -> Int {
        var reclaimed = 0
        while let ratio = intake.usage(volume.root), ratio >= configuration.softWatermark, !Task.isShuttingDownGracefully {
            let batch = try await store.evictable(limit: configuration.reclaimChunk)
            guard !batch.isEmpty else {
                logger.warning("media volume above its soft watermark and nothing the cloud has is left to reclaim", metadata: [
                    "volume.used_ratio": "\(ratio)", "volume.soft_watermark": "\(configuration.softWatermark)",
                ])
                break
            }
            for object in batch {
                await volume.remove(object.path)
                if try await store.markEvicted(mediaID: object.mediaID, at: .now()) { reclaimed += 1 }
            }
            metrics.reclaimed(count: batch.count)
        }
        return reclaimed
    }

    struct ListedFile: Sendable {
        let relative: String
        let absolute: String
        let modified: Date
    }

    struct Listing: Sendable {
        var temporary: [ListedFile] = []
        var images: [ListedFile] = []
    }

    /// Regular files in `.tmp/`, and `.jpg` files at the depth of the contract layout (other files are not ours and
    /// stay).
    static func list(root: String) -> Listing {
        var listing = Listing()
        let manager = FileManager.default
        let rootURL = URL(fileURLWithPath: root)
        func modified(_ path: String) -> Date {
            ((try? manager.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? .distantPast
        }
        for name in (try? manager.contentsOfDirectory(atPath: "\(root)/.tmp")) ?? [] {
            let absolute = "\(root)/.tmp/\(name)"
            listing.temporary.append(ListedFile(relative: ".tmp/\(name)", absolute: absolute, modified: modified(absolute)))
        }
        guard let walker = manager.enumerator(atPath: rootURL.path) else { return listing }
        while let relative = walker.nextObject() as? String {
            if relative == ".tmp" {
                walker.skipDescendants()
                continue
            }
            let depth = walker.level
            guard depth == 5, relative.hasSuffix(".jpg"), MediaPath(stored: relative) != nil else {
                if depth >= 5 { walker.skipDescendants() }
                continue
            }
            let absolute = "\(root)/\(relative)"
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: absolute, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            listing.images.append(ListedFile(relative: relative, absolute: absolute, modified: modified(absolute)))
        }
        return listing
    }
}
