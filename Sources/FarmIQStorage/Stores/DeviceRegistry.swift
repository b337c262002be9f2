import FarmIQCore

/// The device registry (`devices`, `contracts.md` §3 revision 2): the identity a device's bearer token names, for
/// media upload (and, later, the broker's password file). Only the SHA-256 of a token is stored.
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
    public let address: DeviceAddress
    public let enabled: Bool
    public let createdAt: Timestamp
    public let rotatedAt: Timestamp?
    public let disabledAt: Timestamp?
    /// The stored digest, for a constant-time comparison by the caller.
    public let tokenSHA256: [UInt8]

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
    public let sha256: [UInt8]
    public let brokerPasswordHash: String

    public init(sha256: [UInt8], brokerPasswordHash: String) {
        self.sha256 = sha256
        self.brokerPasswordHash = brokerPasswordHash
    }

    /// Both hashes of `token`.
    public init(token: String) throws {
        self.init(sha256: DeviceToken.digest(token), brokerPasswordHash: try BrokerPasswordHash.make(password: token))
    }
}
