import FarmIQCore

/// The roll-up bucket sizes kept in `telemetry_agg` (column `bucket_size`, in seconds).
public enum AggregateBucketSize: String, Sendable, CaseIterable {
    /// One-minute buckets (`bucket_size` 60); `1m` in the HTTP API.
    case minute = "1m"
    /// One-hour buckets (`bucket_size` 3600); `1h` in the HTTP API.
    case hour = "1h"

    /// The bucket length in seconds, as stored in `bucket_size`: 60 or 3600.
    public var seconds: Int {
        switch self {
        case .minute: 60
        case .hour: 3600
        }
    }

    /// The bucket length in milliseconds: 60,000 or 3,600,000.
    public var milliseconds: Int64 { Int64(seconds) * 1000 }

    /// The start of the bucket that holds `timestamp` (floor, also before 1970).
    public func bucketStart(of timestamp: Timestamp) -> Timestamp {
        let ms = timestamp.millisecondsSinceEpoch
        let size = milliseconds
        var start = ms - ms % size
        if ms % size < 0 { start -= size }
        return Timestamp(millisecondsSinceEpoch: start)
    }

    init?(seconds: Int) {
        switch seconds {
        case 60: self = .minute
        case 3600: self = .hour
        default: return nil
        }
    }
}
