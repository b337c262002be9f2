import AsyncHTTPClient
import Crypto
import FarmIQCore
import FarmIQStorage
import MediaAccess
import Logging
import NIOCore

/// Image bytes to the cloud, bytes first (`contracts.md` §4), run by ``SyncForwarder`` while it holds the outbox
/// lease (so one replica uploads): reads images whose bytes the cloud lacks, oldest first, `PUT`s each with
/// `Content-SHA256` (several in flight), and only once the cloud answered `200`/`201` marks it uploaded and writes
/// its `media.stored` event to the outbox in one transaction. A `kill -9` at any point loses no image and never
/// emits `media.stored` for bytes the cloud lacks: an image not marked is sent again, and the cloud answers `200`.
///
/// The bytes come from a ``MediaSource`` and are checked against the row's SHA-256 before they are sent.
struct MediaUploader: Sendable {
    let store: any MediaObjectStore
    let source: MediaSource
    let cloudURL: String
    let token: String?
    let client: HTTPClient
    let settings: MediaUploadStateMachine.Settings
    let requestTimeout: Duration
    let minimumUplinkBytesPerSecond: Int
    /// Test-only fault hook (`FARMIQ_SYNC_PAUSE_AFTER_ACCEPT_MS`, as for batches): a pause between the cloud's
    /// `200`/`201` and marking the image uploaded, the window a `kill -9` test aims at.
    var pauseAfterAccept: Duration = .zero
    let metrics: SyncMetrics
    let logger: Logger

    private enum Event: Sendable {
        case finished(MediaObject, MediaUploadStateMachine.Outcome)
        case timer(ContinuousClock.Instant)
    }

    /// Uploads until cancelled (the lease lost, the forwarder stopping).
    func run(keeper: LeaseKeeper) async {
        let clock = ContinuousClock()
        var machine = MediaUploadStateMachine(settings: settings, now: clock.now)
        var random = SystemRandomNumberGenerator()
        await withTaskGroup(of: Event.self) { group in
            var timer: ContinuousClock.Instant?
            while !Task.isCancelled && !keeper.isLost {
                var idle = true
                let capacity = machine.capacity(now: clock.now)
                if capacity > 0 && keeper.validUntil > clock.now {
                    do {
                        let objects = try await store.pendingUpload(limit: capacity, excluding: machine.excluded(now: clock.now))
                        for object in objects {
                            machine.start(object.mediaID)
                            group.addTask { .finished(object, await self.upload(object)) }
                        }
                        idle = objects.isEmpty
                    } catch {
                        logger.warning("media upload: reading pending images failed", metadata: ["error": "\(error)"])
                    }
                }
                let wake = machine.wake(now: clock.now, idle: idle && machine.inFlight.isEmpty)
                if timer.map({ wake < $0 }) ?? true {
                    timer = wake
                    group.addTask {
                        try? await Task.sleep(until: wake, clock: clock)
                        return .timer(wake)
                    }
                }
                switch await group.next() {
                case .timer(let at)?:
                    if timer == at { timer = nil }
                case .finished(let object, let outcome)?:
                    record(object, outcome)
                    machine.finished(object.mediaID, outcome: outcome, now: clock.now, using: &random)
                case nil:
                    break
                }
            }
            group.cancelAll()
        }
    }

    /// One image: read and check the file, `PUT` it, and on success mark it uploaded with its `media.stored` event.
    /// Never throws: failures are outcomes.
    func upload(_ object: MediaObject) async -> MediaUploadStateMachine.Outcome {
        let bytes: ByteBuffer
        do {
            guard let found = try await source.bytes(of: object) else {
                return .unreadable(reason: "the file \(object.path) is gone")
            }
            bytes = found
        } catch {
            return .retryable(reason: "reading \(object.path) failed: \(String(describing: error).prefix(200))", retryAfter: nil)
        }
        let digest = SHA256.hash(data: bytes.readableBytesView).map { String(format: "%02x", $0) }.joined()
        guard digest == object.sha256 else {
            return .unreadable(reason: "the file \(object.path) no longer matches its SHA-256 (\(digest), stored \(object.sha256))")
        }
        do {
            var request = HTTPClientRequest(url: "\(cloudURL)/api/v1/edge/media/\(object.address.tenantID)/\(object.mediaID)")
            request.method = .PUT
            request.headers.add(name: "Content-Type", value: "image/jpeg")
            request.headers.add(name: "Content-SHA256", value: object.sha256)
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            request.body = .bytes(bytes)
            let deadline = requestTimeout + .seconds(Double(bytes.readableBytes) / Double(minimumUplinkBytesPerSecond))
            let response = try await client.execute(request, timeout: .nanoseconds(deadline.nanoseconds), logger: logger)
            let answer = try await response.body.collect(upTo: 1 << 20)
            let status = Int(response.status.code)
            switch status {
            case 200, 201:
                break
            case 401, 403:
                return .unauthorized(status: status)
            case 408, 429, 500...599:
                return .retryable(
                    reason: "HTTP \(status)",
                    retryAfter: response.headers.first(name: "Retry-After").flatMap { CloudResponse.parseRetryAfter($0, now: .init()) })
            case 400...499:
                return .refused(status: status, reason: CloudResponse.excerpt(Array(answer.readableBytesView)))
            default:
                return .retryable(reason: "unexpected HTTP \(status)", retryAfter: nil)
            }
        } catch {
            return .retryable(reason: String(String(describing: error).prefix(200)), retryAfter: nil)
        }
        if pauseAfterAccept > .zero { try? await Task.sleep(for: pauseAfterAccept) }
        do {
            let now = Timestamp.now()
            _ = try await store.markUploaded(mediaID: object.mediaID, event: object.storedEvent(eventID: EventID.v7(at: now), at: now), at: now)
            return .stored
        } catch {
            // The cloud has the bytes; the next PUT is answered 200 and the mark is tried again.
            return .retryable(reason: "marking the image uploaded failed: \(error)", retryAfter: nil)
        }
    }

    private func record(_ object: MediaObject, _ outcome: MediaUploadStateMachine.Outcome) {
        let metadata: Logger.Metadata = ["media.id": "\(object.mediaID)", "tenant.id": "\(object.address.tenantID)"]
        switch outcome {
        case .stored:
            metrics.mediaUploaded(bytes: Int(object.sizeBytes))
        case .retryable(let reason, _):
            metrics.mediaFailed("retryable")
            logger.warning("media upload failed, retrying", metadata: metadata.merging(["error": "\(reason)"]) { $1 })
        case .unauthorized(let status):
            metrics.mediaFailed("unauthorized")
            logger.error("cloud refused the edge's credentials for a media upload", metadata: metadata.merging(["http.status": "\(status)"]) { $1 })
        case .refused(let status, let reason):
            metrics.mediaFailed("refused")
            logger.error("cloud refused an image; trying it again later", metadata: metadata.merging([
                "http.status": "\(status)", "sync.reason": "\(reason)"]) { $1 })
        case .unreadable(let reason):
            metrics.mediaFailed("unreadable")
            logger.error("an image cannot be sent", metadata: metadata.merging(["error": "\(reason)"]) { $1 })
        }
    }
}
