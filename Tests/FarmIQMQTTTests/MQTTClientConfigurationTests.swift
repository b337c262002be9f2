import FarmIQCore
import Testing

@testable import FarmIQMQTT

@Suite("MQTT configuration and backoff")
struct MQTTClientConfigurationTests {
    @Test func parsesURLs() throws {
        let plain = try MQTTClientConfiguration(url: "mqtt://broker.local", clientID: "c")
        #expect(plain.host == "broker.local" && plain.port == 1883 && !plain.useTLS)
        let tls = try MQTTClientConfiguration(url: "mqtts://10.0.0.5:9883/", clientID: "c")
        #expect(tls.host == "10.0.0.5" && tls.port == 9883 && tls.useTLS)
        let tlsDefault = try MQTTClientConfiguration(url: "mqtts://b", clientID: "c")
        #expect(tlsDefault.port == 8883)
        let credentials = try MQTTClientConfiguration(url: "mqtt://gw%40farm:p%3Ass@[::1]:1884", clientID: "c")
        #expect(credentials.host == "::1" && credentials.port == 1884)
        #expect(credentials.username == "gw@farm" && credentials.password == "p:ss")
        let explicit = try MQTTClientConfiguration(url: "mqtt://u:p@h", clientID: "c", username: "other", password: "secret")
        #expect(explicit.username == "other" && explicit.password == "secret")
        #expect(plain.cleanStart == false)
        #expect(plain.sessionExpiry == .seconds(604_800))
        #expect(plain.receiveMaximum == 1024)
        #expect(plain.protocolVersion == .v5)
    }

    @Test(arguments: ["http://h", "mqtt://", "mqtt://h:0", "mqtt://h:70000", "mqtt://h:x", "mqtt://h/path", "mqtt://[::1", "mqtt://u:%zz@h"])
    func rejectsBadURLs(url: String) {
        #expect(throws: MQTTError.self) { try MQTTClientConfiguration(url: url, clientID: "c") }
    }

    @Test func backoffIsExponentialWithFullJitterWithinBounds() {
        let backoff = MQTTBackoff(minimum: .milliseconds(100), maximum: .seconds(30))
        var generator = SplitMix64(seed: 7)
        for attempt in 1...40 {
            let ceiling = min(Duration.milliseconds(100) * (1 << min(attempt - 1, 20)), .seconds(30))
            var seenBelowHalf = false
            for _ in 0..<200 {
                let delay = backoff.delay(attempt: attempt, using: &generator)
                #expect(delay >= .milliseconds(100) && delay <= ceiling)
                if delay < ceiling / 2 { seenBelowHalf = true }
            }
            if attempt > 2 { #expect(seenBelowHalf) } // jitter spreads over the whole range
        }
    }
}
