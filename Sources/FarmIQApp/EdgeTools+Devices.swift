import FarmIQCore
import FarmIQStorage
import Foundation
import Logging

/// `farmiq-edge devices …`: the device registry (`contracts.md` §3, revision 2).
extension EdgeTools {
    /// What an operator asked of the registry.
    public enum DeviceAction: Sendable {
        case add(DeviceAddress)
        case list(tenantID: String?)
        case disable(DeviceAddress)
        case enable(DeviceAddress)
        case rotate(DeviceAddress)
        /// Writes Mosquitto's password file: every enabled device (user `{tenant}/{farm}/{barn}/{device}`, its token as
        /// password) and, when given, the gateway's user with its password.
        case brokerPasswordFile(path: String, gatewayUser: String?, gatewayPassword: String?)
    }

    /// Runs `action`; returns the text to print. `add` and `rotate` print the new token, once: only its SHA-256 is
    /// stored. Unknown devices and a second `add` are errors naming the device.
    public static func devices(_ action: DeviceAction, configuration: EdgeConfiguration, logger: Logger) async throws -> String {
        try await withDatabase(configuration, logger: logger) { database in
            try await database.migrate()
            let registry = database.devices
            let now = Timestamp.now()
            switch action {
            case .add(let address):
                let token = DeviceToken.generate()
                try await registry.add(address, token: try IssuedToken(token: token), at: now)
                return "device \(address) registered. Its token, shown only now (store it on the device):\n\(token)"
            case .rotate(let address):
                let token = DeviceToken.generate()
                guard try await registry.rotate(address, token: try IssuedToken(token: token), at: now) else {
                    throw EdgeError(.notFound, "no device \(address) (farmiq-edge devices list)")
                }
                return "device \(address): new token, shown only now (the old one no longer works):\n\(token)"
            case .disable(let address), .enable(let address):
                var enable = false
                if case .enable = action { enable = true }
                guard try await registry.setEnabled(address, enable, at: now) else {
                    throw EdgeError(.notFound, "no device \(address) (farmiq-edge devices list)")
                }
                return "device \(address) \(enable ? "enabled" : "disabled")."
            case .brokerPasswordFile(let path, let gatewayUser, let gatewayPassword):
                var lines = try await registry.brokerPasswordEntries().map { "\($0.user):\($0.hash)" }
                if let gatewayUser, let gatewayPassword {
                    lines.insert("\(gatewayUser):\(try BrokerPasswordHash.make(password: gatewayPassword))", at: 0)
                }
                try writeAtomically(lines.joined(separator: "\n") + "\n", to: path, permissions: 0o640)
                return "wrote \(lines.count) broker users to \(path); reload Mosquitto (SIGHUP) to apply."
            case .list(let tenant):
                let devices = try await registry.devices(tenantID: tenant)
                guard !devices.isEmpty else { return "no devices registered\(tenant.map { " for tenant \($0)" } ?? "")." }
                var lines = ["DEVICE                                   STATE     ADDED                     TOKEN ROTATED"]
                for device in devices {
                    let name = device.address.description
                    lines.append(name.padding(toLength: max(40, name.count), withPad: " ", startingAt: 0) + " "
                        + (device.enabled ? "enabled " : "disabled") + "  " + device.createdAt.rfc3339 + "  "
                        + (device.rotatedAt?.rfc3339 ?? "-"))
                }
                return lines.joined(separator: "\n")
            }
        }
    }

    /// Writes `text` to a temporary file beside `path`, fsyncs it and renames it over `path`: a reader (the broker)
    /// sees the old file or the new one, never half of one.
    static func writeAtomically(_ text: String, to path: String, permissions: Int) throws {
        let temporary = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: permissions]) else {
            throw EdgeError(.invalidConfiguration, "cannot write \(temporary)")
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
        try handle.synchronize()
        try handle.close()
        if rename(temporary, path) != 0 {
            try? FileManager.default.removeItem(atPath: temporary)
            throw EdgeError(.invalidConfiguration, "cannot replace \(path) (errno \(errno))")
        }
    }
}
