import FarmIQCore
import FarmIQStorage
import Logging
import NIOCore

/// Receives one image upload (`POST /api/v1/media/images`, `contracts.md` §3) from an authenticated device:
/// refuses at once above the hard watermark (`507`, nothing written), streams the multipart body through
/// ``MultipartUploadReader`` into a ``MediaTempFile`` (hashed as written), then, holding a lock on the upload's
/// `(tenant_id, event_id)`: answers a repeat from the stored row (`200` same bytes, `409` other bytes), or
/// publishes the file at its contract path (``MediaVolume``) and commits its row and inference job (`201`).
///
/// On any refusal or failure the temporary file and any published file are removed: nothing is stored and no file
/// is left behind. A crash leaves at most a temporary file or a file without a row; ``MediaSweeper`` removes both.
public final class MediaIntake: Sendable {
    /// A stored upload: `201` new, `200` a repeat of the same bytes.
    public struct Answer: Sendable {
        public let status: Int
        public let object: MediaObject
    }

    let store: any MediaObjectStore
    let volume: MediaVolume
    let limits: MediaUploadLimits
    let hardWatermark: Double
    let usage: @Sendable (String) -> Double?
    let logger: Logger
    /// Absolute paths being written or published: the periodic sweep leaves them alone.
    let inFlight = LockedValue<Set<String>>([])
    private let keys = KeyedLock<String>()

    public init(
        store: any MediaObjectStore, volume: MediaVolume, limits: MediaUploadLimits = MediaUploadLimits(), hardWatermark: Double,
        usage: @escaping @Sendable (String) -> Double?, logger: Logger
    ) {
        self.store = store
        self.volume = volume
        self.limits = limits
        self.hardWatermark = hardWatermark
        self.usage = usage
        self.logger = logger
    }

    /// Stores the upload of `device`. Throws ``FarmIQCore/EdgeError``: `diskFull` (`507`), `payloadTooLarge`
    /// (`413`), `unsupportedMediaType` (`415`), `invalidRequest` (`400`), `conflict` (`409`), or a storage error.
    public func receive<Body: AsyncSequence>(
        from device: RegisteredDevice, contentType: String?, contentLength: Int?, body: Body
    ) async throws -> Answer where Body.Element == ByteBuffer {
        if let ratio = usage(volume.root), ratio >= hardWatermark {
            throw EdgeError(.diskFull, "the media volume is \(Int(ratio * 100))% full (hard watermark \(Int(hardWatermark * 100))%): nothing was written")
        }
        if let contentLength, contentLength > limits.maxBodyBytes {
            throw EdgeError(.payloadTooLarge, "the body is \(contentLength) bytes; at most \(limits.maxBodyBytes) (an image of at most \(limits.maxImageBytes))")
        }
        let reader = try MultipartUploadReader(contentType: contentType, limits: limits)
        var temporary: MediaTempFile?
        // Registered before the file exists, so no sweep can see the file and not the registration.
        let temporaryPath = MediaTempFile.newPath(in: volume.temporaryDirectory)
        inFlight.withLock { _ = $0.insert(temporaryPath) }
        defer { _ = inFlight.withLock { $0.remove(temporaryPath) } }
        do {
            var bodyBytes = 0
            for try await buffer in body {
                bodyBytes += buffer.readableBytes
                guard bodyBytes <= limits.maxBodyBytes else {
                    throw EdgeError(.payloadTooLarge, "the body is larger than \(limits.maxBodyBytes) bytes (an image of at most \(limits.maxImageBytes))")
                }
                for chunk in try reader.consume(buffer) {
                    if temporary == nil { temporary = try await MediaTempFile.create(at: temporaryPath) }
                    try await temporary!.write(chunk)
                }
            }
            let upload = try reader.finish()
            guard let file = temporary else {
                throw EdgeError(.unsupportedMediaType, "the image is empty (contracts.md §3)")
            }
            try await file.commit()
            let received = Received(path: file.path, sha256: file.sha256, size: Int64(file.size))
            let answer = try await keys.withLock("\(device.address.tenantID)/\(upload.eventID)") {
                try await self.store(upload, received, from: device)
            }
            await file.discard()
            return answer
        } catch {
            await temporary?.discard()
            throw error
        }
    }

    private struct Received: Sendable {
        let path: String
        let sha256: String
        let size: Int64
    }

    /// The part under the key lock: answer a repeat, or publish and commit.
    private func store(_ upload: MultipartUploadReader.Upload, _ received: Received, from device: RegisteredDevice) async throws -> Answer {
        if let existing = try await store.object(tenantID: device.address.tenantID, eventID: upload.eventID) {
            return try Self.repeatAnswer(existing, sha256: received.sha256)
        }
        let mediaID = EventID.v7()
        let first = MediaPath(address: device.address, sessionID: upload.sessionID, capturedAt: upload.capturedAt)
        let fallback = MediaPath(address: device.address, sessionID: upload.sessionID, capturedAt: upload.capturedAt, collidingMediaID: mediaID)
        let guarded = [volume.absolute(first), volume.absolute(fallback)]
        inFlight.withLock { $0.formUnion(guarded) }
        defer { inFlight.withLock { $0.subtract(guarded) } }

        var path = try await volume.publish(temporary: received.path, at: first, fallback: fallback)
        for attempt in 0..<2 {
            let object = MediaObject(
                mediaID: mediaID, address: device.address, eventID: upload.eventID, sessionID: upload.sessionID,
                capturedAt: upload.capturedAt, path: path, sha256: received.sha256, sizeBytes: received.size,
                width: upload.header.width, height: upload.header.height, createdAt: .now())
            do {
                switch try await store.insert(object) {
                case .inserted:
                    return Answer(status: 201, object: object)
                case .existing(let other):
                    await volume.remove(path)
                    return try Self.repeatAnswer(other, sha256: received.sha256)
                }
            } catch let error as EdgeError where error.code == .conflict && attempt == 0 && path != fallback {
                // The first-choice name belongs to an image whose file was reclaimed after upload: use the other.
                await volume.remove(path)
                path = try await volume.publish(temporary: received.path, at: fallback, fallback: fallback)
            } catch {
                await volume.remove(path)
                throw error
            }
        }
        await volume.remove(path)
        throw EdgeError(.internalError, "no free media path for \(first)")
    }

    static func repeatAnswer(_ existing: MediaObject, sha256: String) throws -> Answer {
        guard existing.sha256 == sha256 else {
            throw EdgeError(.conflict, "event_id \(existing.eventID) was already used for an image with other bytes (sha256 \(existing.sha256)); nothing changed")
        }
        return Answer(status: 200, object: existing)
    }
}
