import Crypto
import FarmIQCore

/// A valid telemetry message together with the bytes it came from (the HTTP sink forwards those).
public struct TelemetrySubmission: Sendable {
    public let message: TelemetryMessage
    public let source: ReceivedMessage
}
