/// The outcome of storing a batch: how many messages were new and how many were already stored
/// (in the database or earlier in the same batch).
public struct IngestCounts: Sendable, Hashable {
    public var inserted: Int
    public var duplicates: Int

    public init(inserted: Int, duplicates: Int) {
        self.inserted = inserted
        self.duplicates = duplicates
    }
}
