import FarmIQCore

/// The device registry (`devices`, `contracts.md` §3 revision 2): the identity a device's bearer token names, for
/// media upload and the broker's password file (`farmiq-edge devices mosquitto-passwd`). Only the SHA-256 of a
/// token is stored.
public protocol DeviceRegistry: Sendable {
    /// Registers a device with the digest of its new token and the broker's hash of it
    /// (``FarmIQCore/BrokerPasswordHash``). Throws ``FarmIQCore/EdgeError/Code/conflict`` when it is already registered.
    func add(_ address: DeviceAddress, token: IssuedToken, at time: Timestamp) async throws

    /// Devices, of one tenant or all, ordered by their address.
    func devices(tenantID: String?) async throws -> [RegisteredDevice]

    /// Enables or disables a device; `false` when it is not registered.
    func setEnabled(_ address: DeviceAddress, _ enabled: Bool, at time: Timestamp) async throws -> Bool

    /// Replaces the token (the old one stops working at once); `false` when not registered.
    func rotate(_ address: DeviceAddress, token: IssuedToken, at time: Timestamp) async throws -> Bool

    /// The broker password-file lines of the enabled devices: user name `{tenant}/{farm}/{barn}/{device}` and hash.
    func brokerPasswordEntries() async throws -> [(user: String, hash: String)]

    /// The device whose token has this digest, enabled or not; `nil` for an unknown token.
    func device(tokenSHA256: [UInt8]) async throws -> RegisteredDevice?
}

/// One row of the registry.
public struct RegisteredDevice: Sendable, Equatable {
    /// The device's `{tenant}/{farm}/{barn}/{device}`.
    public let address: DeviceAddress
    /// `false` after `farmiq-edge devices disable`: its token then gets `403` (`contracts.md` §3).
    public let enabled: Bool
    /// When the device was registered.
    public let createdAt: Timestamp
    /// When its token was last rotated; `nil` if never.
    public let rotatedAt: Timestamp?
    /// When it was disabled; `nil` while enabled.
    public let disabledAt: Timestamp?
    /// The stored digest, for a constant-time comparison by the caller.
    public let tokenSHA256: [UInt8]

    /// A record of given values (not checked).
    public init(address: DeviceAddress, enabled: Bool, createdAt: Timestamp, rotatedAt: Timestamp?, disabledAt: Timestamp?, tokenSHA256: [UInt8]) {
        self.address = address
        self.enabled = enabled
        self.createdAt = createdAt
        self.rotatedAt = rotatedAt
        self.disabledAt = disabledAt
        self.tokenSHA256 = tokenSHA256
    }
}

/// What the registry keeps of a newly issued token: its SHA-256 (for the HTTP API) and the broker's hash of it.
public struct IssuedToken: Sendable {
    /// SHA-256 of the token, 32 bytes: what the registry stores instead of the token.
    public let sha256: [UInt8]
    /// Mosquitto's password-file hash of the token (``FarmIQCore/BrokerPasswordHash``, PBKDF2-SHA512, `$7$…`).
    public let brokerPasswordHash: String

    /// Hashes computed by the caller (not checked).
    public init(sha256: [UInt8], brokerPasswordHash: String) {
        self.sha256 = sha256
        self.brokerPasswordHash = brokerPasswordHash
    }

    /// Both hashes of `token`.
    public init(token: String) throws {
        self.init(sha256: DeviceToken.digest(token), brokerPasswordHash: try BrokerPasswordHash.make(password: token))
    }
}
