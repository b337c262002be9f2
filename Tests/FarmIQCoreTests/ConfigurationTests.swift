import Foundation
import Logging
import Testing
@testable import FarmIQCore

private func configurationError(_ environment: [String: String], overrides: [String: String] = [:]) -> EdgeError? {
    do {
        _ = try EdgeConfiguration(environment: environment, overrides: overrides)
        return nil
    } catch {
        return error
    }
}

private func urlError(_ text: String) -> EdgeError? {
    do {
        _ = try DatabaseURL(parsing: text)
        return nil
    } catch {
        return error
    }
}

@Suite("DatabaseURL")
struct DatabaseURLTests {
    @Test("sqlite URLs")
    func sqlite() throws {
        #expect(try DatabaseURL(parsing: DatabaseURL.defaultValue) == .sqlite(path: "./data/edge.sqlite"))
        #expect(try DatabaseURL(parsing: "sqlite:///var/lib/farmiq/edge.db") == .sqlite(path: "/var/lib/farmiq/edge.db"))
        #expect(try DatabaseURL(parsing: "sqlite://:memory:") == .sqlite(path: ":memory:"))
        #expect(try DatabaseURL(parsing: "sqlite://./x.sqlite").description == "sqlite://./x.sqlite")
    }

    @Test("a full postgres URL")
    func postgres() throws {
        let url = try DatabaseURL(parsing: "postgres://farmiq:s3cret@db.farm.local:6543/edge?sslmode=require&application_name=x")
        #expect(url == .postgres(.init(host: "db.farm.local", port: 6543, username: "farmiq", password: "s3cret", database: "edge", requireTLS: true)))
        #expect(url.description == "postgres://farmiq@db.farm.local:6543/edge")
        #expect(!url.description.contains("s3cret"))
    }

    @Test("postgres defaults and the postgresql:// alias")
    func postgresDefaults() throws {
        #expect(try DatabaseURL(parsing: "postgresql://db/edge")
            == .postgres(.init(host: "db", port: 5432, username: "postgres", password: nil, database: "edge", requireTLS: false)))
        #expect(try DatabaseURL(parsing: "postgres://u@db/edge?sslmode=verify-full")
            == .postgres(.init(host: "db", port: 5432, username: "u", password: nil, database: "edge", requireTLS: true)))
        #expect(try DatabaseURL(parsing: "postgres://u:p@db/edge?sslmode=disable")
            == .postgres(.init(host: "db", port: 5432, username: "u", password: "p", database: "edge", requireTLS: false)))
    }

    /// `sslmode=verify-ca` used to connect over plain TCP, password included: every mode libpq knows maps to TLS or
    /// not on purpose, anything else is refused.
    @Test("every sslmode: TLS for require, verify-ca, verify-full; plain for disable, allow, prefer; others refused")
    func sslModes() throws {
        func tls(_ mode: String) throws -> Bool {
            guard case .postgres(let location) = try DatabaseURL(parsing: "postgres://u:p@db/edge?application_name=x&sslmode=\(mode)") else { return false }
            return location.requireTLS
        }
        for mode in ["require", "verify-ca", "verify-full"] { #expect(try tls(mode), "\(mode)") }
        for mode in ["disable", "allow", "prefer"] { #expect(try !tls(mode), "\(mode)") }
        for mode in ["", "REQUIRE", "verify_ca", "true", "require "] {
            #expect(throws: EdgeError.self, "\(mode)") { try DatabaseURL(parsing: "postgres://u:p@db/edge?sslmode=\(mode)") }
        }
    }

    @Test("percent-encoded and unencoded special characters in credentials")
    func credentials() throws {
        func password(_ url: String) throws -> String? {
            guard case .postgres(let location) = try DatabaseURL(parsing: url) else { return nil }
            return location.password
        }
        #expect(try password("postgres://u:p%40ss%2Fw%3A@db/edge") == "p@ss/w:")
        #expect(try password("postgres://u:p@ss@db/edge") == "p@ss")
        #expect(try password("postgres://u:a:b@db/edge") == "a:b")
        // A literal % that does not start a valid escape is kept, not swallowed with what follows it.
        #expect(try password("postgres://u:50%off@db/edge") == "50%off")
        #expect(try password("postgres://u:ab%zz@db/edge") == "ab%zz")
        #expect(try password("postgres://u:ab%4@db/edge") == "ab%4")
        #expect(try password("postgres://u:%+5@db/edge") == "%+5")
        let url = try DatabaseURL(parsing: "postgres://us%65r:pw@db/edge")
        #expect(url.description == "postgres://user@db:5432/edge")
        #expect(!url.description.contains("pw"))
    }

    @Test("bad URLs throw an invalid_configuration error naming FARMIQ_DATABASE_URL, without the password", arguments: [
        "", "mysql://u:hunter2@db/edge", "http://db/edge", "SQLITE://x", "sqlite://", "sqlite:", "./edge.sqlite",
        "postgres://u:hunter2@db", "postgres://u:hunter2@db/", "postgres://u:hunter2@:5432/edge",
        "postgres://u:hunter2@db:0/edge", "postgres://u:hunter2@db:65536/edge", "postgres://u:hunter2@db:abc/edge",
        "postgres://u:hunter2@db:/edge", "postgres://u:hunter2@db:-1/edge",
    ])
    func rejected(_ text: String) throws {
        let error = try #require(urlError(text))
        #expect(error.code == .invalidConfiguration)
        #expect(error.message.contains("FARMIQ_DATABASE_URL"))
        #expect(!error.description.contains("hunter2"))
    }
}

@Suite("EdgeConfiguration")
struct EdgeConfigurationTests {
    @Test("defaults serve the embedded mode")
    func defaults() throws {
        let config = try EdgeConfiguration(environment: [:])
        #expect(config.databaseURL == .sqlite(path: "./data/edge.sqlite"))
        #expect(config.mqttURL == "mqtt://127.0.0.1:1883")
        #expect(config.mqttUsername == nil)
        #expect(config.mqttPassword == nil)
        #expect(config.mqttCAFile == nil)
        #expect(config.httpHost == "127.0.0.1")
        #expect(config.httpPort == 8080)
        #expect(config.mediaRoot == "./data/media")
        #expect(config.cloudURL == nil)
        #expect(config.cloudToken == nil)
        #expect(config.logLevel == .info)
        #expect(config.telemetryURL == "http://127.0.0.1:8081")
        #expect(config.telemetryRetentionDays == 30)
        #expect(config.ingestBatchSize == 2000)
        #expect(config.mqttReceiveMaximum == 16000)
        #expect(config.dbHardWatermark == 0.95)
        #expect(config.dbSoftWatermark == 0.85)
        #expect(config.mqttShareGroup == nil)
        #expect(Identifier.isValidName(config.edgeID))
        #expect(config.edgeID == EdgeConfiguration.hostName())
        #expect(config.mqttClientID == "farmiq-ingress-\(config.edgeID)")
    }

    @Test("environment values are used; flags (overrides) win over the environment; empty variables mean unset")
    func precedence() throws {
        let environment = [
            "FARMIQ_DATABASE_URL": "postgres://u:p@db:5432/edge",
            "FARMIQ_HTTP_PORT": "9000",
            "FARMIQ_LOG_LEVEL": "DEBUG",
            "FARMIQ_EDGE_ID": "barn-cluster-7",
            "FARMIQ_CLOUD_URL": "https://cloud.example",
            "FARMIQ_CLOUD_TOKEN": "tok",
            "FARMIQ_MQTT_URL": "mqtts://broker:8883",
            "FARMIQ_MQTT_USERNAME": "gw",
            "FARMIQ_MEDIA_ROOT": "",
            "UNRELATED": "x",
        ]
        let fromEnvironment = try EdgeConfiguration(environment: environment)
        #expect(fromEnvironment.httpPort == 9000)
        #expect(fromEnvironment.logLevel == .debug)
        #expect(fromEnvironment.edgeID == "barn-cluster-7")
        #expect(fromEnvironment.mqttClientID == "farmiq-ingress-barn-cluster-7")
        #expect(fromEnvironment.cloudURL == "https://cloud.example")
        #expect(fromEnvironment.cloudToken == "tok")
        #expect(fromEnvironment.mqttURL == "mqtts://broker:8883")
        #expect(fromEnvironment.mqttUsername == "gw")
        #expect(fromEnvironment.mediaRoot == "./data/media")
        #expect(fromEnvironment.databaseURL == .postgres(.init(host: "db", port: 5432, username: "u", password: "p", database: "edge", requireTLS: false)))

        let overridden = try EdgeConfiguration(environment: environment, overrides: [
            "FARMIQ_HTTP_PORT": "0", "FARMIQ_LOG_LEVEL": "warning", "FARMIQ_DATABASE_URL": "sqlite:///tmp/e.db",
            "FARMIQ_MQTT_CLIENT_ID": "gw-1",
        ])
        #expect(overridden.httpPort == 0)
        #expect(overridden.logLevel == .warning)
        #expect(overridden.databaseURL == .sqlite(path: "/tmp/e.db"))
        #expect(overridden.mqttClientID == "gw-1")
        #expect(overridden.edgeID == "barn-cluster-7")
    }

    @Test("every log level name", arguments: Logger.Level.allCases)
    func logLevels(_ level: Logger.Level) throws {
        #expect(try EdgeConfiguration(environment: ["FARMIQ_LOG_LEVEL": level.rawValue]).logLevel == level)
        #expect(try EdgeConfiguration(environment: ["FARMIQ_LOG_LEVEL": level.rawValue.uppercased()]).logLevel == level)
    }

    @Test("each bad value throws an error naming its variable", arguments: [
        ("FARMIQ_HTTP_PORT", "http"), ("FARMIQ_HTTP_PORT", "65536"), ("FARMIQ_HTTP_PORT", "-1"), ("FARMIQ_HTTP_PORT", " 80"),
        ("FARMIQ_HTTP_PORT", "8080.0"),
        ("FARMIQ_LOG_LEVEL", "verbose"), ("FARMIQ_LOG_LEVEL", "warn"), ("FARMIQ_LOG_LEVEL", "info "),
        ("FARMIQ_DATABASE_URL", "mysql://db/edge"), ("FARMIQ_DATABASE_URL", "postgres://db:99999/edge"),
        ("FARMIQ_MQTT_URL", "tcp://127.0.0.1:1883"), ("FARMIQ_MQTT_URL", "127.0.0.1:1883"), ("FARMIQ_MQTT_URL", "ws://broker"),
        ("FARMIQ_CLOUD_URL", "ftp://cloud"), ("FARMIQ_CLOUD_URL", "cloud.example"),
        ("FARMIQ_TELEMETRY_URL", "grpc://127.0.0.1:8081"),
        ("FARMIQ_EDGE_ID", "edge/1"), ("FARMIQ_EDGE_ID", String(repeating: "e", count: 65)),
        ("FARMIQ_MQTT_CLIENT_ID", "gw 1"), ("FARMIQ_MQTT_SHARE_GROUP", "a+b"),
        ("FARMIQ_MQTT_RECEIVE_MAXIMUM", "0"), ("FARMIQ_MQTT_RECEIVE_MAXIMUM", "65536"),
        ("FARMIQ_TELEMETRY_RETENTION_DAYS", "0"), ("FARMIQ_TELEMETRY_RETENTION_DAYS", "3651"),
        ("FARMIQ_INGEST_BATCH_SIZE", "0"), ("FARMIQ_INGEST_BATCH_SIZE", "5001"),
        ("FARMIQ_DB_HARD_WATERMARK", "0"), ("FARMIQ_DB_HARD_WATERMARK", "1.5"),
        ("FARMIQ_DB_SOFT_WATERMARK", "0"), ("FARMIQ_DB_SOFT_WATERMARK", "nan"), ("FARMIQ_DB_SOFT_WATERMARK", "2"),
    ])
    func badValues(_ variable: String, _ value: String) throws {
        let fromEnvironment = try #require(configurationError([variable: value]))
        #expect(fromEnvironment.code == .invalidConfiguration)
        #expect(fromEnvironment.message.contains(variable), "\(fromEnvironment.message)")
        #expect(fromEnvironment.description.contains(variable))
        // The same bad value as a flag also fails, even over a good environment value.
        let key = try #require(ConfigurationKey.allCases.first { $0.environmentName == variable })
        let fromFlag = try #require(configurationError([variable: key.defaultValue ?? ""], overrides: [variable: value]))
        #expect(fromFlag.message.contains(variable))
    }

    @Test("the soft watermark never exceeds the hard one: reclaiming starts no later than intake stops")
    func softWatermarkClamped() throws {
        let config = try EdgeConfiguration(environment: ["FARMIQ_DB_HARD_WATERMARK": "0.7"])
        #expect(config.dbSoftWatermark == 0.7)
        let explicit = try EdgeConfiguration(environment: ["FARMIQ_DB_HARD_WATERMARK": "0.9", "FARMIQ_DB_SOFT_WATERMARK": "0.6"])
        #expect(explicit.dbSoftWatermark == 0.6)
    }

    @Test("a 64-char edge id still yields a valid default MQTT client id")
    func longEdgeID() throws {
        let edgeID = String(repeating: "e", count: 60) + "-x9z"
        let config = try EdgeConfiguration(environment: ["FARMIQ_EDGE_ID": edgeID])
        #expect(config.edgeID == edgeID)
        #expect(Identifier.isValidName(config.mqttClientID))
        #expect(config.mqttClientID.hasSuffix("-x9z"))
    }

    @Test("a password in a bad database URL never appears in the error")
    func passwordNotEchoed() throws {
        let error = try #require(configurationError(["FARMIQ_DATABASE_URL": "postgres://u:hunter2@db:99999/edge"]))
        #expect(!error.description.contains("hunter2"))
    }

    @Test("configuration keys: flag names and uniqueness")
    func keys() {
        #expect(ConfigurationKey.databaseURL.flagName == "database-url")
        #expect(ConfigurationKey.ingestBatchSize.flagName == "ingest-batch-size")
        let names = ConfigurationKey.allCases.map(\.environmentName)
        #expect(Set(names).count == names.count)
        #expect(names.allSatisfy { $0.hasPrefix("FARMIQ_") })
        #expect(ConfigurationKey.allCases.allSatisfy { !$0.help.isEmpty })
        #expect(ConfigurationKey.databaseURL.defaultValue == "sqlite://./data/edge.sqlite")
        #expect(ConfigurationKey.cloudURL.defaultValue == nil)
    }
}

@Suite("EdgeError")
struct EdgeErrorTests {
    struct Cause: Error, CustomStringConvertible {
        var description: String { String(repeating: "c", count: 1000) }
    }

    @Test("HTTP status mapping and description")
    func errors() {
        #expect(EdgeError.Code.invalidRequest.httpStatus == 400)
        #expect(EdgeError.Code.notFound.httpStatus == 404)
        #expect(EdgeError.Code.diskFull.httpStatus == 507)
        #expect(EdgeError.Code.databaseUnavailable.httpStatus == 503)
        #expect(EdgeError.Code.upstreamUnavailable.httpStatus == 503)
        #expect(EdgeError.Code.internalError.httpStatus == 500)
        #expect(EdgeError.Code.invalidConfiguration.httpStatus == 500)
        #expect(EdgeError(.notFound, "no such media").description == "not_found: no such media")
        let long = EdgeError(.databaseError, "insert failed", cause: Cause()).description
        #expect(long.hasPrefix("database_error: insert failed ("))
        #expect(long.count < 600)
    }
}

@Suite("Operator token setting (contracts.md §6)")
struct OperatorTokenSettingTests {
    @Test("loopback addresses")
    func loopback() {
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"] { #expect(EdgeConfiguration.isLoopback(host), "\(host)") }
        for host in ["0.0.0.0", "10.0.0.5", "::", "127.0.0.256", "127.0.0", "127.0.0.1.5", "example.com", ""] {
            #expect(!EdgeConfiguration.isLoopback(host), "\(host)")
        }
    }

    @Test("off loopback without FARMIQ_API_TOKEN: one line naming the setting; with it, or on loopback, fine")
    func offLoopbackNeedsTheToken() throws {
        let open = try EdgeConfiguration(environment: ["FARMIQ_HTTP_HOST": "0.0.0.0"])
        do {
            try open.requireOperatorTokenOffLoopback()
            Issue.record("a listener on 0.0.0.0 without a token must be refused")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.hasPrefix("FARMIQ_API_TOKEN is required when FARMIQ_HTTP_HOST (0.0.0.0)"))
        }
        try EdgeConfiguration(environment: ["FARMIQ_HTTP_HOST": "0.0.0.0", "FARMIQ_API_TOKEN": "0123456789abcdef0123"]).requireOperatorTokenOffLoopback()
        try EdgeConfiguration(environment: [:]).requireOperatorTokenOffLoopback()
    }

    @Test("a short or spaced token is refused at start", arguments: ["short", "with a space in it, long enough", "tab\there-0123456789"])
    func weakTokens(token: String) {
        #expect(configurationError(["FARMIQ_API_TOKEN": token])?.message.hasPrefix("FARMIQ_API_TOKEN must be") == true)
    }

    @Test("constant-time comparison")
    func constantTime() {
        #expect(ConstantTime.equal("abc", "abc"))
        #expect(!ConstantTime.equal("abc", "abd"))
        #expect(!ConstantTime.equal("abc", "abcd"))
        #expect(ConstantTime.equal("", ""))
    }
}

@Suite("Device tokens")
struct DeviceTokenTests {
    @Test("256 random bits as fiqd_ + 43 base64url characters; distinct; SHA-256 digest of 32 bytes")
    func shape() {
        let tokens = (0..<200).map { _ in DeviceToken.generate() }
        #expect(Set(tokens).count == tokens.count)
        for token in tokens {
            #expect(DeviceToken.isWellFormed(token), "\(token)")
            #expect(token.utf8.count == 48)
        }
        #expect(DeviceToken.digest("fiqd_x").count == 32)
        #expect(DeviceToken.digest(tokens[0]) != DeviceToken.digest(tokens[1]))
        for bad in ["", "fiqd_", "fiqd_" + String(repeating: "a", count: 42), "fiqd_" + String(repeating: "a", count: 42) + "=",
                    "FIQD_" + String(repeating: "a", count: 43), "fiqd_" + String(repeating: "a", count: 42) + "/"] {
            #expect(!DeviceToken.isWellFormed(bad), "\(bad)")
        }
        #expect(DeviceToken.base64URL([0xfb, 0xff]) == "-_8")
    }
}

@Suite("Broker password hash")
struct BrokerPasswordHashTests {
    @Test("the same line as mosquitto_passwd 2.0.11 for the same salt; verifies; random salts differ")
    func mosquittoFormat() throws {
        // `mosquitto_passwd -b file alice secret` wrote this line.
        let entry = "$7$101$sOiIDZmdgGgZDcn+$eXaPxXgnl8o0DktkE0vl39aqk5Wqucf4iSUORUNaAnZhPcF1XBF7shiVOuYWFWyOupvaWTacRWLYZBDkhIRN8w=="
        let salt = try #require(Data(base64Encoded: "sOiIDZmdgGgZDcn+"))
        #expect(try BrokerPasswordHash.make(password: "secret", salt: Array(salt)) == entry)
        #expect(BrokerPasswordHash.verify(password: "secret", entry: entry))
        #expect(!BrokerPasswordHash.verify(password: "Secret", entry: entry))
        #expect(!BrokerPasswordHash.verify(password: "secret", entry: "$6$101$x$y"))
        let a = try BrokerPasswordHash.make(password: "t")
        let b = try BrokerPasswordHash.make(password: "t")
        #expect(a != b && BrokerPasswordHash.verify(password: "t", entry: a) && BrokerPasswordHash.verify(password: "t", entry: b))
    }
}
