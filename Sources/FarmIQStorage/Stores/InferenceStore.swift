import FarmIQCore

/// The job queue and `inference_results` of edge-vision-inference. The media store adds one job per image (in the
/// transaction of its row); workers claim jobs with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the single
/// writer on SQLite), so two workers never analyse one image at once, and a job whose worker died is claimed again
/// once its lease has run out. Finishing a job writes its result and its outbox event in one transaction, only while
/// the worker still holds the lease: one `inference.completed` or `inference.failed` per image.
public protocol InferenceStore: Sendable {
    /// Claims up to `limit` jobs (pending, or running with an expired lease), oldest first, for `owner` until
    /// `now + leaseMilliseconds`; returns them with their image rows.
    func claim(owner: String, limit: Int, leaseMilliseconds: Int64, now: Timestamp) async throws -> [InferenceJob]

    /// Writes the result and its outbox event and marks the job done; `false` (nothing written) when `owner` no
    /// longer holds its lease or the job is done.
    func finish(_ job: InferenceJob, result: InferenceResult, event: OutboxEvent, owner: String, at time: Timestamp) async throws -> Bool

    /// Gives a job back after a transient failure: pending again, claimable after `retryAt`.
    func release(_ job: InferenceJob, owner: String, error: String, retryAt: Timestamp) async throws

    /// Counts for `/metrics`: jobs waiting (pending or leased), and the oldest waiting one's creation.
    func backlog() async throws -> (waiting: Int, oldestCreatedAt: Timestamp?)

    /// The bird counts of a session's analysed images, and the per-animal estimate over them
    /// (``SessionImages/perAnimalEstimate(_:)``; the session's finalization, `contracts.md` §3a).
    func sessionResults(tenantID: String, sessionID: String) async throws -> (counts: [Int], averageWeightKg: Double?, modelVersion: String?, calibrated: Bool?)
}

/// A claimed job: its image's row.
public struct InferenceJob: Sendable, Equatable {
    /// The image's `media_objects` row.
    public let media: MediaObject
    /// Attempts before this claim.
    public let attempts: Int

    /// A job of given values (not checked).
    public init(media: MediaObject, attempts: Int) {
        self.media = media
        self.attempts = attempts
    }
}

/// What inference made of one image.
public struct InferenceResult: Sendable, Equatable {
    /// `inference_results.status`: `completed` gives an `inference.completed` event, `failed` (the image can never be
    /// analysed) an `inference.failed` one (`contracts.md` §4).
    public enum Status: String, Sendable { case completed, failed }

    /// Whether the image was analysed or can never be.
    public var status: Status
    /// Birds found in the image; `nil` for a failure.
    public var birdCount: Int?
    /// The `birds` array of `inference.completed` as JSON.
    public var birdsJSON: String?
    /// Estimated weight per bird, kg; `nil` for a failure or an image without birds.
    public var averageWeightKg: Double?
    /// The weight model used, `{station}/v{version}` or `prior`; `nil` for a failure.
    public var modelVersion: String?
    /// Whether that model was calibrated for the station; `nil` for a failure.
    public var calibrated: Bool?
    /// Why the image can never be analysed (status `failed` only).
    public var reason: String?
    /// How long the analysis took, milliseconds.
    public var durationMs: Double
    /// Mean area of the birds that stand alone (not split from a touching group), pixels of the full-size image:
    /// what the station's calibration learns from. nil when none.
    public var singleBirdAreaPx: Double?

    /// A result of given values (not checked).
    public init(status: Status, birdCount: Int?, birdsJSON: String?, averageWeightKg: Double?, modelVersion: String?,
                calibrated: Bool?, reason: String?, durationMs: Double, singleBirdAreaPx: Double? = nil) {
        self.singleBirdAreaPx = singleBirdAreaPx
        self.status = status
        self.birdCount = birdCount
        self.birdsJSON = birdsJSON
        self.averageWeightKg = averageWeightKg
        self.modelVersion = modelVersion
        self.calibrated = calibrated
        self.reason = reason
        self.durationMs = durationMs
    }
}
