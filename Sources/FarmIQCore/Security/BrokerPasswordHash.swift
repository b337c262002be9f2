import Crypto
import CryptoExtras
import Foundation

/// Mosquitto 2's password-file hash (`mosquitto_passwd`): PBKDF2-SHA512 over the password with a 12-byte random
/// salt, written `$7${iterations}${salt base64}${hash base64}`; a line of the file is `{user}:{hash}`.
/// Devices log in to the broker with their registry token as password (`contracts.md` §2 ACL, issue 9).
public enum BrokerPasswordHash {
    /// Mosquitto's default.
    public static let iterations = 101

    /// A new entry for `password` with a random salt.
    public static func make(password: String, iterations: Int = iterations) throws -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<12).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return try make(password: password, salt: salt, iterations: iterations)
    }

    /// The entry for `password` with this `salt` (tests compare with `mosquitto_passwd`).
    public static func make(password: String, salt: [UInt8], iterations: Int = iterations) throws -> String {
        let key = try KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8), salt: salt, using: .sha512, outputByteCount: 64, unsafeUncheckedRounds: iterations)
        let hash = key.withUnsafeBytes { Data($0) }
        return "$7$\(iterations)$\(Data(salt).base64EncodedString())$\(hash.base64EncodedString())"
    }

    /// Whether `password` matches `entry` (a `$7$` hash); false for anything malformed.
    public static func verify(password: String, entry: String) -> Bool {
        let parts = entry.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0].isEmpty, parts[1] == "7", let iterations = Int(parts[2]), (1...10_000_000).contains(iterations),
            let salt = Data(base64Encoded: String(parts[3])), let made = try? make(password: password, salt: Array(salt), iterations: iterations)
        else { return false }
        return ConstantTime.equal(made, entry)
    }
}
