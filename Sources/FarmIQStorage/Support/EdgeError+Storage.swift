import FarmIQCore

extension EdgeError.Code {
    /// Another writer stored some of the same messages concurrently (a unique violation or a
    /// serialization failure): retry the whole batch; the retry finds them and counts them as duplicates.
    public static let writeConflict = EdgeError.Code("write_conflict")
}

extension EdgeError {
    /// Whether repeating the same call later can succeed (database down, or a write conflict).
    public var isRetryableStorageError: Bool {
        code == .databaseUnavailable || code == .writeConflict
    }
}
