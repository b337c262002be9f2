import FarmIQCore

/// The roll-up bucket sizes kept in `telemetry_agg` (column `bucket_size`, in seconds).
public enum AggregateBucketSize: String, Sendable, CaseIterable {
    case minute = "1m"
    case hour = "1h"

    public var seconds: Int {
        switch self {
        case .minute: 60
        case .hour: 3600
        }
    }

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
