/// What the client does after a connection ends: which protocol version to try next, how long to back
/// off, and what to report. A pure value type, unit-tested without I/O.
///
/// - The backoff starts again from its minimum only after a connection stayed up for
///   ``healthyConnectionDuration`` after CONNACK; connections that close sooner (a broker that fails
///   after CONNACK, a packet that kills every session, two clients taking one client id from each other)
///   keep growing it, so they never turn into a reconnect storm.
/// - MQTT 5 falls back to 3.1.1 only when the broker explicitly refuses the version (CONNACK 0x84 /
///   0x01), at once and without a backoff; every later connect tries MQTT 5 again first. A connection
///   closed before CONNACK is an ordinary failure, not a refusal.
struct MQTTReconnectPolicy: Sendable {
    /// What a connection ending means, for logs and metrics.
    enum Diagnosis: Sendable, Equatable {
        case none
        /// The broker closed the session because another client connected with the same client id
        /// (DISCONNECT reason 0x8E, MQTT 5).
        case sessionTakenOver
        /// This many connections in a row closed within the healthy duration.
        case unstable(consecutive: Int)
    }

    struct Decision: Sendable, Equatable {
        var version: MQTTProtocolVersion
        /// The backoff attempt (from 1) to wait for; nil: reconnect at once (protocol fallback).
        var backoffAttempt: Int?
        var diagnosis: Diagnosis
    }

    /// Unstable connections in a row before they are reported.
    static let unstableReportThreshold = 3

    let preferred: MQTTClientConfiguration.ProtocolVersionPreference
    let healthyConnectionDuration: Duration
    private(set) var version: MQTTProtocolVersion
    private(set) var attempt = 0
    private(set) var consecutiveShortConnections = 0

    init(preferred: MQTTClientConfiguration.ProtocolVersionPreference, healthyConnectionDuration: Duration) {
        self.preferred = preferred
        self.healthyConnectionDuration = healthyConnectionDuration
        self.version = preferred == .v311 ? .v311 : .v5
    }

    /// The first version to try on a fresh connect.
    private var firstVersion: MQTTProtocolVersion { preferred == .v311 ? .v311 : .v5 }

    /// - Parameters:
    ///   - outcome: how the connection ended.
    ///   - lasted: from the start of the attempt to its end.
    mutating func connectionEnded(_ outcome: MQTTSessionStateMachine.ConnectionOutcome, lasted: Duration) -> Decision {
        switch outcome {
        case .failedBeforeConnAck(let error):
            if preferred == .v5, version == .v5, error.code == .unsupportedProtocolVersion {
                version = .v311
                return Decision(version: .v311, backoffAttempt: nil, diagnosis: .none)
            }
            version = firstVersion
            attempt += 1
            return Decision(version: version, backoffAttempt: attempt, diagnosis: .none)
        case .closedAfterConnAck(let error):
            version = firstVersion
            let takenOver = error?.reasonCode == 0x8E
            if lasted >= healthyConnectionDuration && !takenOver {
                attempt = 1
                consecutiveShortConnections = 0
                return Decision(version: version, backoffAttempt: attempt, diagnosis: .none)
            }
            attempt += 1
            consecutiveShortConnections += 1
            let diagnosis: Diagnosis = takenOver
                ? .sessionTakenOver
                : (consecutiveShortConnections >= Self.unstableReportThreshold ? .unstable(consecutive: consecutiveShortConnections) : .none)
            return Decision(version: version, backoffAttempt: attempt, diagnosis: diagnosis)
        }
    }
}
