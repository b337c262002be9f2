import FarmIQCore
import FarmIQTestSupport
import Foundation
import Testing

/// The secured broker (issue 9, item 3) against a real Mosquitto this test starts: TLS listener with a lab
/// certificate (`scripts/lab-cert`), the password file written by `farmiq-edge devices mosquitto-passwd` from the
/// device registry, the repository's ACL (`deploy/mosquitto/acl`). Devices log in with their registry token.
@Suite("Secured broker", .serialized)
struct SecuredBrokerTests {
    /// A Mosquitto with TLS, passwords and the ACL, in its own folder and port, stopped by its PID.
    struct Broker: Sendable {
        let folder: String
        let port: Int
        let process: ChildProcess

        init(folder: String, passwords: String) async throws {
            self.folder = folder
            port = ChildEdge.freePort()
            let config = """
                per_listener_settings false
                user root
                pid_file \(folder)/mosquitto.pid
                log_dest file \(folder)/mosquitto.log
                listener \(port) 127.0.0.1
                cafile \(folder)/ca.pem
                certfile \(folder)/server.pem
                keyfile \(folder)/server.key
                tls_version tlsv1.2
                allow_anonymous false
                password_file \(passwords)
                acl_file \(SecuredBrokerTests.repository())/deploy/mosquitto/acl
                persistence false
                """
            try config.write(toFile: "\(folder)/mosquitto.conf", atomically: true, encoding: .utf8)
            // In the foreground, output to its log file; stopped with SIGKILL (nothing to save: persistence is off).
            process = try ChildProcess(executable: "/usr/sbin/mosquitto", arguments: ["-c", "\(folder)/mosquitto.conf"])
            // Ready once the PID file is there.
            for _ in 0..<100 where !FileManager.default.fileExists(atPath: "\(folder)/mosquitto.pid") {
                try await Task.sleep(for: .milliseconds(50))
            }
        }

        /// SIGKILL (a `defer` cannot wait; the child is reaped by a later `ended` or when the runner exits).
        func stop() {
            process.send(SIGKILL)
        }
    }

    static func run(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await TestCommand.run(executable, arguments)
    }

    static func repository() -> String {
        URL(fileURLWithPath: TestEnvironment.edgeBinary).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    @Test("TLS + device passwords + ACL: a wrong password is refused, another device's prefix is not delivered, the gateway ingests over TLS")
    func securedBroker() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(TestEnvironment.uniqueName("secured-broker")).path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let certificates = try await Self.run(Self.repository() + "/scripts/lab-cert", [folder])
        #expect(certificates.status == 0, "\(certificates.output)")

        // Two devices in the registry; the password file from it, with the gateway's user.
        let tenant = TestEnvironment.uniqueName("sb")
        let databaseURL = "sqlite://\(folder)/edge.sqlite"
        func token(_ device: String) async throws -> String {
            let result = try await Self.run(TestEnvironment.edgeBinary, ["devices", "add", "\(tenant)/farm-1/barn-1/\(device)", "--database-url", databaseURL])
            #expect(result.status == 0, "\(result.output)")
            return String(result.output.split(separator: "\n").last ?? "")
        }
        let scaleToken = try await token("scale-1")
        let cameraToken = try await token("cam-1")
        let gatewayPassword = "gw-" + DeviceToken.generate()
        try gatewayPassword.write(toFile: "\(folder)/gateway.password", atomically: true, encoding: .utf8)
        let written = try await Self.run(TestEnvironment.edgeBinary, [
            "devices", "mosquitto-passwd", "--output", "\(folder)/passwords", "--gateway-password-file", "\(folder)/gateway.password",
            "--database-url", databaseURL,
        ])
        #expect(written.status == 0 && written.output.contains("wrote 3 broker users"), "\(written.output)")
        let broker = try await Broker(folder: folder, passwords: "\(folder)/passwords")
        defer { broker.stop() }
        try await eventually(timeout: .seconds(10)) {
            (try? await Self.run("/usr/bin/mosquitto_pub", [
                "-h", "127.0.0.1", "-p", "\(broker.port)", "--cafile", "\(folder)/ca.pem", "-u", "\(tenant)/farm-1/barn-1/scale-1",
                "-P", scaleToken, "-t", "farmiq/v1/\(tenant)/farm-1/barn-1/scale-1/event", "-m", "{}", "-q", "1",
            ]).status) == 0
        }

        // A wrong password, and a device that is not registered, are refused at CONNECT.
        let wrong = try await Self.run("/usr/bin/mosquitto_pub", [
            "-h", "127.0.0.1", "-p", "\(broker.port)", "--cafile", "\(folder)/ca.pem", "-u", "\(tenant)/farm-1/barn-1/scale-1",
            "-P", cameraToken, "-t", "farmiq/v1/\(tenant)/farm-1/barn-1/scale-1/telemetry", "-m", "{}", "-q", "1",
        ])
        #expect(wrong.status != 0 && wrong.output.lowercased().contains("not authori"), "\(wrong.output)")
        // Without TLS the listener does not speak MQTT at all.
        let plain = try await Self.run("/usr/bin/mosquitto_pub", [
            "-h", "127.0.0.1", "-p", "\(broker.port)", "-u", "\(tenant)/farm-1/barn-1/scale-1", "-P", scaleToken,
            "-t", "farmiq/v1/\(tenant)/farm-1/barn-1/scale-1/telemetry", "-m", "{}", "-q", "1",
        ])
        #expect(plain.status != 0, "\(plain.output)")

        // The gateway connects over TLS (FARMIQ_MQTT_CA_FILE) with its own credential and ingests.
        let port = ChildEdge.freePort()
        let edge = try ChildEdge(databaseURL: databaseURL, port: port, settings: [
            "FARMIQ_MQTT_URL": "mqtts://127.0.0.1:\(broker.port)", "FARMIQ_MQTT_CA_FILE": "\(folder)/ca.pem",
            "FARMIQ_MQTT_USERNAME": "farmiq-ingress", "FARMIQ_MQTT_PASSWORD": gatewayPassword,
            "FARMIQ_MQTT_CLIENT_ID": TestEnvironment.uniqueName("sb-gw"),
        ])
        try await HTTP.waitUntilReady(edge.baseURL)
        // The scale publishes below its own prefix (delivered) and below the camera's (the ACL drops it).
        let own = Envelopes.telemetry(readings: [("weight_kg", 2.5)])
        let forged = Envelopes.telemetry(readings: [("weight_kg", 99.0)])
        for (topic, payload) in [("farmiq/v1/\(tenant)/farm-1/barn-1/cam-1/telemetry", forged), ("farmiq/v1/\(tenant)/farm-1/barn-1/scale-1/telemetry", own)] {
            _ = try await Self.run("/usr/bin/mosquitto_pub", [
                "-h", "127.0.0.1", "-p", "\(broker.port)", "--cafile", "\(folder)/ca.pem", "-u", "\(tenant)/farm-1/barn-1/scale-1",
                "-P", scaleToken, "-t", topic, "-m", payload, "-q", "1",
            ])
        }
        let latestURL = edge.baseURL + "/api/v1/telemetry/latest?tenant_id=\(tenant)"
        try await eventually(timeout: .seconds(30)) {
            guard case .array(let rows)? = try await HTTP.getJSON(latestURL)["latest"] else { return false }
            return !rows.isEmpty
        }
        // Give a forged message time to arrive if the ACL let it through; it must not.
        try await Task.sleep(for: .seconds(2))
        let latest = try await HTTP.getJSON(latestURL)
        guard case .array(let rows)? = latest["latest"] else { Issue.record("no latest: \(latest)"); return }
        #expect(rows.count == 1)
        #expect(rows.first?["device_id"] == .string("scale-1"))
        #expect(rows.first?["value"] == .number(JSONNumber(2.5)))
        #expect(try await HTTP.metric(edge.baseURL, "farmiq_mqtt_connected") == 1)
        #expect(await edge.stop())
        await broker.process.kill9()
        try? FileManager.default.removeItem(atPath: folder)
    }
}
