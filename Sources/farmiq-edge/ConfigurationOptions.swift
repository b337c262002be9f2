import ArgumentParser
import FarmIQCore
import Foundation
import Logging

/// Every setting of `contracts.md` §7 as a flag; each flag overrides its environment variable.
struct ConfigurationOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "FARMIQ_DATABASE_URL") var databaseURL: String?
    @Option(name: .customLong("mqtt-url"), help: "FARMIQ_MQTT_URL") var mqttURL: String?
    @Option(name: .customLong("mqtt-username"), help: "FARMIQ_MQTT_USERNAME") var mqttUsername: String?
    @Option(name: .customLong("mqtt-password"), help: "FARMIQ_MQTT_PASSWORD") var mqttPassword: String?
    @Option(name: .customLong("mqtt-ca-file"), help: "FARMIQ_MQTT_CA_FILE") var mqttCAFile: String?
    @Option(name: .customLong("mqtt-client-id"), help: "FARMIQ_MQTT_CLIENT_ID") var mqttClientID: String?
    @Option(name: .customLong("mqtt-share-group"), help: "FARMIQ_MQTT_SHARE_GROUP") var mqttShareGroup: String?
    @Option(name: .customLong("mqtt-session-expiry-seconds"), help: "FARMIQ_MQTT_SESSION_EXPIRY_SECONDS") var mqttSessionExpirySeconds: String?
    @Option(name: .customLong("ingest-tenant"), help: "FARMIQ_INGEST_TENANT") var ingestTenant: String?
    @Option(name: .customLong("mqtt-receive-maximum"), help: "FARMIQ_MQTT_RECEIVE_MAXIMUM") var mqttReceiveMaximum: String?
    @Option(name: .customLong("http-host"), help: "FARMIQ_HTTP_HOST") var httpHost: String?
    @Option(name: .customLong("http-port"), help: "FARMIQ_HTTP_PORT") var httpPort: String?
    @Option(name: .customLong("media-root"), help: "FARMIQ_MEDIA_ROOT") var mediaRoot: String?
    @Option(name: .customLong("cloud-url"), help: "FARMIQ_CLOUD_URL") var cloudURL: String?
    @Option(name: .customLong("cloud-token"), help: "FARMIQ_CLOUD_TOKEN") var cloudToken: String?
    @Option(name: .customLong("edge-id"), help: "FARMIQ_EDGE_ID") var edgeID: String?
    @Option(name: .customLong("log-level"), help: "FARMIQ_LOG_LEVEL") var logLevel: String?
    @Option(name: .customLong("telemetry-url"), help: "FARMIQ_TELEMETRY_URL") var telemetryURL: String?
    @Option(name: .customLong("telemetry-retention-days"), help: "FARMIQ_TELEMETRY_RETENTION_DAYS") var telemetryRetentionDays: String?
    @Option(name: .customLong("ingest-batch-size"), help: "FARMIQ_INGEST_BATCH_SIZE") var ingestBatchSize: String?

    @Option(name: .customLong("db-hard-watermark"), help: "FARMIQ_DB_HARD_WATERMARK") var dbHardWatermark: String?
    @Option(name: .customLong("db-volume-path"), help: "FARMIQ_DB_VOLUME_PATH") var dbVolumePath: String?

    var overrides: [String: String] {
        let pairs: [(ConfigurationKey, String?)] = [
            (.databaseURL, databaseURL), (.mqttURL, mqttURL), (.mqttUsername, mqttUsername), (.mqttPassword, mqttPassword),
            (.mqttCAFile, mqttCAFile), (.mqttClientID, mqttClientID), (.mqttShareGroup, mqttShareGroup), (.ingestTenant, ingestTenant), (.mqttSessionExpirySeconds, mqttSessionExpirySeconds),
            (.mqttReceiveMaximum, mqttReceiveMaximum), (.httpHost, httpHost), (.httpPort, httpPort), (.mediaRoot, mediaRoot),
            (.cloudURL, cloudURL), (.cloudToken, cloudToken), (.edgeID, edgeID), (.logLevel, logLevel),
            (.telemetryURL, telemetryURL), (.telemetryRetentionDays, telemetryRetentionDays), (.ingestBatchSize, ingestBatchSize),
            (.dbHardWatermark, dbHardWatermark), (.dbVolumePath, dbVolumePath),
        ]
        var result: [String: String] = [:]
        for (key, value) in pairs { if let value { result[key.environmentName] = value } }
        return result
    }

    /// The resolved configuration; a bad value ends the process with one line naming the setting.
    func resolve() -> EdgeConfiguration {
        do {
            return try EdgeConfiguration(environment: ProcessInfo.processInfo.environment, overrides: overrides)
        } catch {
            FileHandle.standardError.write(Data("farmiq-edge: \(error.message)\n".utf8))
            Foundation.exit(2)
        }
    }

    /// Bootstraps JSON logging (once per process) and returns the root logger.
    func bootstrapLogging(_ configuration: EdgeConfiguration, label: String = "farmiq-edge") -> Logger {
        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, logLevel: level) }
        return Logger(label: label)
    }

    /// For one-shot tools (status, outbox, bench) whose output is what they print: JSON logs, warnings
    /// and above only.
    func bootstrapToolLogging(_ configuration: EdgeConfiguration, label: String = "farmiq-edge") -> Logger {
        var logger = bootstrapLogging(configuration, label: label)
        logger.logLevel = .warning
        return logger
    }
}
