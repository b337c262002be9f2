/// Comparison whose time does not depend on where two secrets first differ (bearer tokens, token digests).
public enum ConstantTime {
    /// True when `a` and `b` hold the same bytes. Time depends only on the lengths.
    public static func equal(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }

    /// The UTF-8 bytes of two strings, compared as ``equal(_:_:)``.
    public static func equal(_ a: some StringProtocol, _ b: some StringProtocol) -> Bool {
        equal(Array(a.utf8), Array(b.utf8))
    }
}
