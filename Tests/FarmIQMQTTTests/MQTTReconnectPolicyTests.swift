import Testing

@testable import FarmIQMQTT

@Suite("MQTT reconnect policy: backoff, takeover, fallback (no I/O)")
struct MQTTReconnectPolicyTests {
    let healthy = Duration.seconds(30)
    func closed(_ reason: UInt8? = nil) -> MQTTSessionStateMachine.ConnectionOutcome {
        .closedAfterConnAck(reason.map { MQTTError(.connectionClosed, "broker sent DISCONNECT", reasonCode: $0) })
    }

    @Test func backoffResetsOnlyAfterAHealthyConnection() {
        var policy = MQTTReconnectPolicy(preferred: .v5, healthyConnectionDuration: healthy)
        // A broker that accepts, then fails at once: the backoff keeps growing.
        let attempts = (0..<6).map { _ in policy.connectionEnded(closed(), lasted: .milliseconds(50)).backoffAttempt }
        #expect(attempts == [1, 2, 3, 4, 5, 6])
        // One connection that stayed up resets it.
        #expect(policy.connectionEnded(closed(), lasted: .seconds(31)).backoffAttempt == 1)
        #expect(policy.connectionEnded(closed(), lasted: .seconds(1)).backoffAttempt == 2)
    }

    @Test func shortConnectionsAreReportedAfterTheThreshold() {
        var policy = MQTTReconnectPolicy(preferred: .v5, healthyConnectionDuration: healthy)
        let diagnoses = (0..<4).map { _ in policy.connectionEnded(closed(), lasted: .milliseconds(10)).diagnosis }
        #expect(diagnoses == [.none, .none, .unstable(consecutive: 3), .unstable(consecutive: 4)])
    }

    @Test func sessionTakeoverIsDiagnosedAndBacksOffEvenIfLong() {
        var policy = MQTTReconnectPolicy(preferred: .v5, healthyConnectionDuration: healthy)
        let first = policy.connectionEnded(closed(0x8E), lasted: .seconds(120))
        #expect(first.diagnosis == .sessionTakenOver)
        let second = policy.connectionEnded(closed(0x8E), lasted: .milliseconds(100))
        #expect(second.diagnosis == .sessionTakenOver)
        #expect((second.backoffAttempt ?? 0) > (first.backoffAttempt ?? 0))
    }

    @Test func fallbackOnlyOnExplicitRefusalAndV5AgainLater() {
        var policy = MQTTReconnectPolicy(preferred: .v5, healthyConnectionDuration: healthy)
        // Closed before CONNACK: not a refusal.
        let closedEarly = policy.connectionEnded(.failedBeforeConnAck(MQTTError(.connectionClosed, "closed")), lasted: .milliseconds(5))
        #expect(closedEarly.version == .v5)
        #expect(closedEarly.backoffAttempt == 1)
        // Refused: 3.1.1 at once.
        let refused = policy.connectionEnded(
            .failedBeforeConnAck(MQTTError(.unsupportedProtocolVersion, "refused", reasonCode: 0x84)), lasted: .milliseconds(5))
        #expect(refused == .init(version: .v311, backoffAttempt: nil, diagnosis: .none))
        // After the 3.1.1 connection ends, MQTT 5 is tried first again.
        #expect(policy.connectionEnded(closed(), lasted: .seconds(60)).version == .v5)
    }

    @Test func forcedV311StaysV311() {
        var policy = MQTTReconnectPolicy(preferred: .v311, healthyConnectionDuration: healthy)
        #expect(policy.version == .v311)
        #expect(policy.connectionEnded(.failedBeforeConnAck(MQTTError(.unsupportedProtocolVersion, "x")), lasted: .zero).version == .v311)
        #expect(policy.connectionEnded(closed(), lasted: .seconds(60)).version == .v311)
    }
}
