import ArgumentParser
import Foundation
import FarmIQApp
import FarmIQCore

/// `farmiq-edge devices …`: register devices and manage their tokens (`contracts.md` §3, revision 2).
struct DevicesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices", abstract: "Register devices and manage their bearer tokens (only a token's SHA-256 is stored).",
        subcommands: [
            DeviceAddCommand.self, DeviceListCommand.self, DeviceDisableCommand.self, DeviceEnableCommand.self, DeviceRotateCommand.self,
            DeviceBrokerPasswordsCommand.self,
        ])
}

/// `{tenant}/{farm}/{barn}/{device}`, validated.
struct DeviceArgument: ParsableArguments {
    @Argument(help: "the device as {tenant}/{farm}/{barn}/{device}, each 1-64 chars of [A-Za-z0-9_-]") var device: String

    func address() throws -> DeviceAddress {
        guard let address = DeviceAddress(path: device) else {
            throw ValidationError("the device must be {tenant}/{farm}/{barn}/{device}, each 1-64 chars of [A-Za-z0-9_-]")
        }
        return address
    }
}

extension DatabaseFlags {
    func runDevices(_ action: EdgeTools.DeviceAction) async throws {
        let configuration = resolve()
        let logger = bootstrapToolLogging(configuration)
        print(try await EdgeTools.devices(action, configuration: configuration, logger: logger))
    }
}

struct DeviceAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Register a device and print its new token once.")
    @OptionGroup var device: DeviceArgument
    @OptionGroup var options: DatabaseFlags
    func run() async throws { try await options.runDevices(.add(try device.address())) }
}

struct DeviceListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List registered devices (never their tokens).")
    @Option(help: "only this tenant's devices") var tenant: String?
    @OptionGroup var options: DatabaseFlags
    func validate() throws {
        if let tenant, !Identifier.isValidName(tenant) { throw ValidationError("--tenant must be 1-64 chars of [A-Za-z0-9_-]") }
    }
    func run() async throws { try await options.runDevices(.list(tenantID: tenant)) }
}

struct DeviceDisableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disable", abstract: "Refuse the device's token (403) until enabled again.")
    @OptionGroup var device: DeviceArgument
    @OptionGroup var options: DatabaseFlags
    func run() async throws { try await options.runDevices(.disable(try device.address())) }
}

struct DeviceEnableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enable", abstract: "Accept a disabled device's token again.")
    @OptionGroup var device: DeviceArgument
    @OptionGroup var options: DatabaseFlags
    func run() async throws { try await options.runDevices(.enable(try device.address())) }
}

struct DeviceRotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rotate", abstract: "Issue a new token (printed once); the old one stops working.")
    @OptionGroup var device: DeviceArgument
    @OptionGroup var options: DatabaseFlags
    func run() async throws { try await options.runDevices(.rotate(try device.address())) }
}

struct DeviceBrokerPasswordsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mosquitto-passwd",
        abstract: "Write Mosquitto's password file: every enabled device (its token is its broker password) and the gateway's user.")
    @Option(help: "the password file to write (replaced atomically, mode 0640)") var output: String
    @Option(help: "the gateway's broker user") var gatewayUser: String = "farmiq-ingress"
    @Option(help: "a file holding the gateway's broker password (FARMIQ_MQTT_PASSWORD); without it the gateway gets no line")
    var gatewayPasswordFile: String?
    @OptionGroup var options: DatabaseFlags

    func run() async throws {
        var password: String?
        if let gatewayPasswordFile {
            password = try String(contentsOfFile: gatewayPasswordFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            guard password?.isEmpty == false else { throw ValidationError("\(gatewayPasswordFile) is empty") }
        }
        try await options.runDevices(.brokerPasswordFile(path: output, gatewayUser: password == nil ? nil : gatewayUser, gatewayPassword: password))
    }
}
