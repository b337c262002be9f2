/// The outcome of storing a batch: how many messages were new and how many were already stored
/// (in the database or earlier in the same batch).
public struct IngestCounts: Sendable, Hashable {
    /// Messages stored for the first time.
    public var inserted: Int
    /// Messages whose `(tenant_id, event_id)` was already stored, or came earlier in the batch.
    public var duplicates: Int

    /// The two counts.
    public init(inserted: Int, duplicates: Int) {
        self.inserted = inserted
        self.duplicates = duplicates
    }
}
