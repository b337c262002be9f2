import FarmIQCore

/// `media_objects` (and the `inference_jobs` queue), owned by edge-media-store (`contracts.md` §3); the sync
/// forwarder marks images uploaded (§4).
public protocol MediaObjectStore: Sendable {
    /// Stores the row of a file already durable at `object.path`, with its inference job, in one transaction.
    /// When `(tenant_id, event_id)` is already stored, writes nothing and returns the stored row (the caller
    /// compares its SHA-256: same bytes `200`, other bytes `409`). A path already taken by another row throws
    /// ``FarmIQCore/EdgeError/Code/conflict``.
    func insert(_ object: MediaObject) async throws -> MediaInsertOutcome

    /// The image stored for an upload's idempotency key.
    func object(tenantID: String, eventID: String) async throws -> MediaObject?

    /// One image by id (any tenant: the caller checks the tenant).
    func object(mediaID: String) async throws -> MediaObject?

    /// Images whose bytes the cloud lacks, oldest first, at most `limit`, excluding `excluding` (in flight).
    func pendingUpload(limit: Int, excluding: Set<String>) async throws -> [MediaObject]

    /// Marks the image uploaded and writes its `media.stored` event (`event`) to the outbox, in one transaction.
    /// Returns `false` and writes nothing when it was already marked (another forwarder, a retry).
    func markUploaded(mediaID: String, event: OutboxEvent, at time: Timestamp) async throws -> Bool

    /// Uploaded images whose file is still on disk, oldest `captured_at` first: what may be reclaimed.
    func evictable(limit: Int) async throws -> [MediaObject]

    /// Records that the file of an uploaded image was deleted; `false` unless it was uploaded and not yet evicted.
    func markEvicted(mediaID: String, at time: Timestamp) async throws -> Bool

    /// Which of these relative paths have a row (the sweep removes files that have none).
    func existingPaths(_ paths: [String]) async throws -> Set<String>

    /// Counts for `/metrics` and `farmiq-edge status`.
    func backlog() async throws -> MediaBacklog

    /// How many images a session has (the session's finalization, `contracts.md` §3a).
    func imageCount(tenantID: String, sessionID: String) async throws -> Int

    /// The images of a session, by `captured_at` (at most 1000).
    func images(tenantID: String, sessionID: String) async throws -> [MediaObject]
}

/// What the store did with an upload: stored it, or found the same `(tenant_id, event_id)` already stored.
public enum MediaInsertOutcome: Sendable, Equatable {
    /// The row and its inference job were stored now.
    case inserted
    /// The key was already stored: the stored row, unchanged (the caller compares its SHA-256).
    case existing(MediaObject)
}

/// Images waiting for the cloud, and what the volume holds.
public struct MediaBacklog: Sendable, Equatable {
    /// Images whose bytes the cloud lacks, and their total size.
    public var pending: Int
    /// Total `size_bytes` of the pending images, bytes.
    public var pendingBytes: Int64
    /// `created_at` of the oldest pending image; `nil` when none is pending.
    public var oldestPendingCreatedAt: Timestamp?
    /// Images with their file on disk (pending or uploaded, not evicted).
    public var onDisk: Int
    /// Images whose file was reclaimed after upload.
    public var evicted: Int

    /// Counts of given values (not checked).
    public init(pending: Int, pendingBytes: Int64, oldestPendingCreatedAt: Timestamp?, onDisk: Int, evicted: Int) {
        self.pending = pending
        self.pendingBytes = pendingBytes
        self.oldestPendingCreatedAt = oldestPendingCreatedAt
        self.onDisk = onDisk
        self.evicted = evicted
    }
}
