#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The usage of the file system holding a path, as `df` computes it.
public struct VolumeUsage: Sendable, Equatable {
    /// Used fraction, 0...1: used ÷ (used + available to unprivileged users).
    public var usedRatio: Double
    /// Bytes available to unprivileged users.
    public var availableBytes: Int64
    /// Used + available bytes.
    public var totalBytes: Int64

    /// Nil when the path's file system cannot be read.
    public static func read(path: String) -> VolumeUsage? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0, stats.f_blocks > 0 else { return nil }
        let block = Int64(stats.f_frsize)
        let used = Int64(stats.f_blocks - stats.f_bfree) * block
        let available = Int64(stats.f_bavail) * block
        guard used + available > 0 else { return nil }
        return VolumeUsage(usedRatio: Double(used) / Double(used + available), availableBytes: available, totalBytes: used + available)
    }
}
