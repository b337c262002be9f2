import FarmIQCore

/// The roll-up sum of the upserts, saturated like ``AggregateDelta/saturatingSum(_:_:)``.
enum RollUpSQL {
    /// SQLite: `inf` of an overflow is clamped.
    static func sqliteSum(_ a: String, _ b: String) -> String {
        "max(-1.7976931348623157e308, min(1.7976931348623157e308, \(a) + \(b)))"
    }

    /// PostgreSQL raises "value out of range: overflow" on a float8 sum that overflows, so the half-sum
    /// (which cannot overflow) decides first.
    static func postgresSum(_ a: String, _ b: String) -> String {
        """
        CASE WHEN \(a) * 0.5::float8 + \(b) * 0.5::float8 >= 8.98e307::float8 THEN 1.7976931348623157e308::float8
             WHEN \(a) * 0.5::float8 + \(b) * 0.5::float8 <= -8.98e307::float8 THEN -1.7976931348623157e308::float8
             ELSE \(a) + \(b) END
        """
    }
}
