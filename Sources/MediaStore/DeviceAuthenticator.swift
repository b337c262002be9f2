import FarmIQCore
import FarmIQStorage

/// Who calls a media endpoint (`contracts.md` §3, §6): a registered device by its bearer token, or the operator by
/// `FARMIQ_API_TOKEN`.
struct DeviceAuthenticator: Sendable {
    enum Caller: Sendable {
        case device(RegisteredDevice)
        case operatorToken
    }

    let registry: any DeviceRegistry
    /// `FARMIQ_API_TOKEN`; `nil` leaves operator access open (loopback only, §6).
    let operatorToken: String?

    /// A device by its token: `401` when the header is missing or the token unknown, `403` when the device is disabled.
    func device(authorization: String?) async throws -> RegisteredDevice {
        guard let token = Self.bearer(authorization) else {
            throw EdgeError(.unauthorized, "this endpoint requires Authorization: Bearer {device token} (contracts.md §3)")
        }
        guard DeviceToken.isWellFormed(token) else { throw EdgeError(.unauthorized, "unknown device token") }
        let digest = DeviceToken.digest(token)
        guard let device = try await registry.device(tokenSHA256: digest), ConstantTime.equal(device.tokenSHA256, digest) else {
            throw EdgeError(.unauthorized, "unknown device token")
        }
        guard device.enabled else { throw EdgeError(.forbidden, "device \(device.address) is disabled") }
        return device
    }

    /// A device token of any tenant, or the operator token (or anyone, when no operator token is set).
    func caller(authorization: String?) async throws -> Caller {
        let token = Self.bearer(authorization)
        if let operatorToken {
            if let token, ConstantTime.equal(token, operatorToken) { return .operatorToken }
        } else if token == nil {
            return .operatorToken
        }
        return .device(try await device(authorization: authorization))
    }

    static func bearer(_ header: String?) -> Substring? {
        guard let header, header.hasPrefix("Bearer ") else { return nil }
        let token = header.dropFirst("Bearer ".count)
        return token.isEmpty ? nil : token
    }
}
