/// Where a message comes from: the four ids of its MQTT topic, already validated.
public struct DeviceAddress: Sendable, Hashable {
    public let tenantID: String
    public let farmID: String
    public let barnID: String
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

    /// The topic prefix a device of this address publishes under.
    public var topicPrefix: String { "farmiq/v1/\(tenantID)/\(farmID)/\(barnID)/\(deviceID)" }
}
