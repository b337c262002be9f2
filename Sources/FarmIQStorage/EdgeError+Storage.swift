import FarmIQCore

extension EdgeError {
    /// Whether repeating the same call later can succeed (database down, or a write conflict).
    public var isRetryableStorageError: Bool {
        code == .databaseUnavailable || code == .writeConflict
    }
}
