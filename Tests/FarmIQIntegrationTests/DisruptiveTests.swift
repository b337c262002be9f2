import FarmIQApp
import FarmIQCore
import FarmIQStorage
import FarmIQTestSupport
import Foundation
import Testing

/// Tests that restart shared services (PostgreSQL, Mosquitto). They run only when
/// FARMIQ_TEST_DISRUPTIVE=1, which scripts/test sets in a second pass with nothing else running.
@Suite("Service restarts", .serialized, .enabled(if: ProcessInfo.processInfo.environment["FARMIQ_TEST_DISRUPTIVE"] == "1"))
struct DisruptiveTests {
    @Test("PostgreSQL restart mid-stream: the gateway waits and resumes; nothing is acknowledged before commit")
    func postgresRestart() async throws {
        let control = try #require(TestEnvironment.pgControl, "FARMIQ_TEST_PG_CTL not set")
        let run = try await StreamRun(engine: .postgres)
        let child = try run.startChild()
        try await HTTP.waitUntilReady(child.baseURL)
        let publishing = run.startPublishing()
        try await run.waitForAcks(atLeast: CrashTests.messageCount / 3)
        try await shell("\(control) restart")
        let acked = try await publishing.value
        #expect(acked == CrashTests.messageCount)
        try await run.expectAllStoredOnce(via: child)
        #expect(await child.stop())
    }

    @Test("Mosquitto restart mid-stream: the session resumes and queued messages arrive")
    func brokerRestart() async throws {
        let configuration = try #require(ProcessInfo.processInfo.environment["FARMIQ_TEST_MOSQUITTO_CONF"], "FARMIQ_TEST_MOSQUITTO_CONF not set")
        let pidFile = try #require(ProcessInfo.processInfo.environment["FARMIQ_TEST_MOSQUITTO_PID_FILE"], "FARMIQ_TEST_MOSQUITTO_PID_FILE not set")
        let run = try await StreamRun(engine: .sqlite)
        let child = try run.startChild()
        try await HTTP.waitUntilReady(child.baseURL)
        let publishing = run.startPublishing()
        try await run.waitForAcks(atLeast: CrashTests.messageCount / 3)
        // A clean broker restart (SIGTERM saves its persistence file), as an operator or k8s does: the test
        // broker only, by the PID it recorded.
        try await shell("""
            pid=$(cat '\(pidFile)'); kill -TERM "$pid"; for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done; \
            mosquitto -c '\(configuration)' -d
            """)
        let acked = try await publishing.value
        #expect(acked == CrashTests.messageCount)
        try await run.expectAllStoredOnce(via: child)
        #expect(await child.stop())
    }
}

/// Runs a shell command, its output discarded; throws unless it exits 0. The daemons it starts (postgres,
/// `mosquitto -d`) inherit no descriptor of the test process (see `ChildProcess`).
func shell(_ command: String) async throws {
    try await TestCommand.shell(command)
}
