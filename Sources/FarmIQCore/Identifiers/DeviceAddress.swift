/// Where a message comes from: the four ids of its MQTT topic, already validated.
public struct DeviceAddress: Sendable, Hashable, CustomStringConvertible {
    /// `tenant_id`: 1–64 chars of `[A-Za-z0-9_-]`, case-sensitive (`contracts.md` §1).
    public let tenantID: String
    /// `farm_id`, of the same form.
    public let farmID: String
    /// `barn_id`, of the same form.
    public let barnID: String
    /// `device_id`, of the same form.
    public let deviceID: String

    /// Returns nil unless all four ids are valid per ``Identifier/isValidName(_:)``.
    public init?(tenantID: String, farmID: String, barnID: String, deviceID: String) {
        guard Identifier.isValidName(tenantID), Identifier.isValidName(farmID),
            Identifier.isValidName(barnID), Identifier.isValidName(deviceID)
        else { return nil }
        self.tenantID = tenantID
        self.farmID = farmID
        self.barnID = barnID
        self.deviceID = deviceID
    }

    /// An address of ids the caller has checked with ``Identifier/isValidName(_:)`` (the topic parser).
    init(validatedTenantID tenantID: String, farmID: String, barnID: String, deviceID: String) {
        self.tenantID = tenantID
        self.farmID = farmID
        self.barnID = barnID
        self.deviceID = deviceID
    }

    /// `{tenant}/{farm}/{barn}/{device}`: how operators name a device (`farmiq-edge devices add …`).
    public var description: String { "\(tenantID)/\(farmID)/\(barnID)/\(deviceID)" }

    /// Parses ``description``; `nil` unless it is four valid ids joined by `/`.
    public init?(path: String) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4 else { return nil }
        self.init(tenantID: parts[0], farmID: parts[1], barnID: parts[2], deviceID: parts[3])
    }

    /// The topic prefix a device of this address publishes under.
    public var topicPrefix: String { "farmiq/v1/\(tenantID)/\(farmID)/\(barnID)/\(deviceID)" }
}
