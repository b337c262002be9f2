import Crypto

extension SHA256 {
    /// The lower-case hex digest of `bytes` (the form of the `Content-SHA256` header, `contracts.md` §4).
    static func hexDigest(_ bytes: some Collection<UInt8>) -> String {
        let hex: [Character] = Array("0123456789abcdef")
        var text = ""
        text.reserveCapacity(64)
        for byte in SHA256.hash(data: Array(bytes)) {
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0x0F)])
        }
        return text
    }
}
