import Crypto
import Foundation

/// A device's bearer token (`contracts.md` §3, revision 2): `fiqd_` and 43 characters of base64url, 256 random bits
/// from the system's CSPRNG. The edge stores only its SHA-256; the token itself is shown once, when issued.
public enum DeviceToken {
    /// The fixed start of every device token.
    public static let prefix = "fiqd_"

    /// A new random token.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for _ in 0..<4 {
            let word = generator.next()
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return prefix + base64URL(bytes)
    }

    /// SHA-256 of the token's UTF-8 bytes: what the registry stores and looks up.
    public static func digest(_ token: some StringProtocol) -> [UInt8] {
        Array(SHA256.hash(data: Array(token.utf8)))
    }

    /// Whether `token` has the shape of a device token (checked before any lookup; bounds the work on hostile input).
    public static func isWellFormed(_ token: some StringProtocol) -> Bool {
        let bytes = Array(token.utf8)
        guard bytes.count == prefix.utf8.count + 43, token.hasPrefix(prefix) else { return false }
        return bytes.dropFirst(prefix.utf8.count).allSatisfy { byte in
            (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x2D || byte == 0x5F
        }
    }

    /// Base64url without padding (RFC 4648 §5), from Foundation's base64.
    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
