import ArgumentParser
import FarmIQCore
import Foundation
import Logging

/// A group of `farmiq-edge` flags, each the same-named twin of a configuration key (`contracts.md` §7:
/// `FARMIQ_DATABASE_URL` ⇔ `--database-url`); a flag overrides its environment variable. Secrets
/// (`FARMIQ_MQTT_PASSWORD`, `FARMIQ_CLOUD_TOKEN`) have no value flag, so they never show in `ps`: they come
/// from the environment, or from a file named by `--mqtt-password-file` / `--cloud-token-file`.
protocol SettingsFlags: ParsableArguments {
    /// The values given on the command line, keyed by environment name.
    var overrides: [String: String] { get throws }
}

extension SettingsFlags {
    /// The resolved configuration; a bad value ends the process with one line naming the setting.
    func resolve() -> EdgeConfiguration {
        do {
            return try EdgeConfiguration(environment: ProcessInfo.processInfo.environment, overrides: try overrides)
        } catch let error as EdgeError {
            FileHandle.standardError.write(Data("farmiq-edge: \(error.message)\n".utf8))
            Foundation.exit(2)
        } catch {
            FileHandle.standardError.write(Data("farmiq-edge: \(error)\n".utf8))
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

extension ArgumentHelp {
    /// "meaning (default: X) [env: FARMIQ_…]", from the key's one description.
    init(_ key: ConfigurationKey, help: String? = nil) {
        let text = help ?? key.help
        // A help text that explains its own default (a derived one) keeps it; others get the literal default.
        let fallback = text.contains("default") ? "" : (key.defaultValue.map { " (default: \($0))" } ?? " (unset by default)")
        self.init("\(text)\(fallback) [env: \(key.environmentName)]", valueName: "value")
    }

    /// For a secret: the file holding it.
    init(secretFile key: ConfigurationKey) {
        self.init("file holding: \(key.help) (or set \(key.environmentName)); never pass a secret itself on the command line", valueName: "path")
    }
}

/// Reads a secret from a file (trailing newlines dropped).
func readSecret(_ path: String?, for key: ConfigurationKey) throws -> String? {
    guard let path else { return nil }
    guard let data = FileManager.default.contents(atPath: path), var text = String(data: data, encoding: .utf8) else {
        throw EdgeError(.invalidConfiguration, "--\(key.flagName)-file: cannot read \(path)")
    }
    while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
    return text
}

/// What every command that opens the database takes.
struct DatabaseFlags: SettingsFlags {
    @Option(name: .customLong(ConfigurationKey.databaseURL.flagName), help: .init(.databaseURL)) var databaseURL: String?
    @Option(name: .customLong(ConfigurationKey.logLevel.flagName), help: .init(.logLevel)) var logLevel: String?

    var overrides: [String: String] {
        [ConfigurationKey.databaseURL.environmentName: databaseURL, ConfigurationKey.logLevel.environmentName: logLevel].compactMapValues { $0 }
    }
}

/// `status`: the database, where the running service listens, and the volume it watches.
struct StatusFlags: SettingsFlags {
    @OptionGroup var database: DatabaseFlags
    @Option(name: .customLong(ConfigurationKey.httpHost.flagName), help: .init(.httpHost, help: "where the running edge listens (its HTTP address)"))
    var httpHost: String?
    @Option(name: .customLong(ConfigurationKey.httpPort.flagName), help: .init(.httpPort, help: "the running edge's HTTP port"))
    var httpPort: String?
    @Option(name: .customLong(ConfigurationKey.dbHardWatermark.flagName), help: .init(.dbHardWatermark)) var dbHardWatermark: String?
    @Option(name: .customLong(ConfigurationKey.dbVolumePath.flagName), help: .init(.dbVolumePath)) var dbVolumePath: String?

    var overrides: [String: String] {
        database.overrides.merging([
            ConfigurationKey.httpHost.environmentName: httpHost, ConfigurationKey.httpPort.environmentName: httpPort,
            ConfigurationKey.dbHardWatermark.environmentName: dbHardWatermark, ConfigurationKey.dbVolumePath.environmentName: dbVolumePath,
        ].compactMapValues { $0 }) { $1 }
    }
}

/// Every setting (`contracts.md` §7 and the edge's own): the services (`all-in-one`, `serve`) and the
/// benchmarks that start them.
struct ConfigurationOptions: SettingsFlags {
    @OptionGroup var status: StatusFlags
    @Option(name: .customLong(ConfigurationKey.mqttURL.flagName), help: .init(.mqttURL)) var mqttURL: String?
    @Option(name: .customLong(ConfigurationKey.mqttUsername.flagName), help: .init(.mqttUsername)) var mqttUsername: String?
    @Option(name: .customLong(ConfigurationKey.mqttPassword.flagName + "-file"), help: .init(secretFile: .mqttPassword)) var mqttPasswordFile: String?
    @Option(name: .customLong(ConfigurationKey.mqttCAFile.flagName), help: .init(.mqttCAFile)) var mqttCAFile: String?
    @Option(name: .customLong(ConfigurationKey.mqttClientID.flagName), help: .init(.mqttClientID)) var mqttClientID: String?
    @Option(name: .customLong(ConfigurationKey.mqttShareGroup.flagName), help: .init(.mqttShareGroup)) var mqttShareGroup: String?
    @Option(name: .customLong(ConfigurationKey.mqttSessionExpirySeconds.flagName), help: .init(.mqttSessionExpirySeconds)) var mqttSessionExpirySeconds: String?
    @Option(name: .customLong(ConfigurationKey.ingestTenant.flagName), help: .init(.ingestTenant)) var ingestTenant: String?
    @Option(name: .customLong(ConfigurationKey.mqttReceiveMaximum.flagName), help: .init(.mqttReceiveMaximum)) var mqttReceiveMaximum: String?
    @Option(name: .customLong(ConfigurationKey.mediaRoot.flagName), help: .init(.mediaRoot)) var mediaRoot: String?
    @Option(name: .customLong(ConfigurationKey.cloudURL.flagName), help: .init(.cloudURL)) var cloudURL: String?
    @Option(name: .customLong(ConfigurationKey.cloudToken.flagName + "-file"), help: .init(secretFile: .cloudToken)) var cloudTokenFile: String?
    @Option(name: .customLong(ConfigurationKey.syncMaxBatchBytes.flagName), help: .init(.syncMaxBatchBytes)) var syncMaxBatchBytes: String?
    @Option(name: .customLong(ConfigurationKey.apiToken.flagName + "-file"), help: .init(secretFile: .apiToken)) var apiTokenFile: String?
    @Option(name: .customLong(ConfigurationKey.edgeID.flagName), help: .init(.edgeID)) var edgeID: String?
    @Option(name: .customLong(ConfigurationKey.telemetryURL.flagName), help: .init(.telemetryURL)) var telemetryURL: String?
    @Option(name: .customLong(ConfigurationKey.sessionURL.flagName), help: .init(.sessionURL)) var sessionURL: String?
    @Option(name: .customLong(ConfigurationKey.sessionGraceSeconds.flagName), help: .init(.sessionGraceSeconds)) var sessionGraceSeconds: String?
    @Option(name: .customLong(ConfigurationKey.sessionTimeoutSeconds.flagName), help: .init(.sessionTimeoutSeconds)) var sessionTimeoutSeconds: String?
    @Option(name: .customLong(ConfigurationKey.telemetryRetentionDays.flagName), help: .init(.telemetryRetentionDays)) var telemetryRetentionDays: String?
    @Option(name: .customLong(ConfigurationKey.eventMaxAgeDays.flagName), help: .init(.eventMaxAgeDays)) var eventMaxAgeDays: String?
    @Option(name: .customLong(ConfigurationKey.ingestBatchSize.flagName), help: .init(.ingestBatchSize)) var ingestBatchSize: String?
    @Option(name: .customLong(ConfigurationKey.dbSoftWatermark.flagName), help: .init(.dbSoftWatermark)) var dbSoftWatermark: String?
    @Option(name: .customLong(ConfigurationKey.mediaHardWatermark.flagName), help: .init(.mediaHardWatermark)) var mediaHardWatermark: String?
    @Option(name: .customLong(ConfigurationKey.mediaSoftWatermark.flagName), help: .init(.mediaSoftWatermark)) var mediaSoftWatermark: String?
    @Option(name: .customLong(ConfigurationKey.mediaURL.flagName), help: .init(.mediaURL)) var mediaURL: String?
    @Option(name: .customLong(ConfigurationKey.inferenceWorkers.flagName), help: .init(.inferenceWorkers)) var inferenceWorkers: String?

    /// The database URL given on the command line, if any.
    var databaseURL: String? { status.database.databaseURL }

    var overrides: [String: String] {
        get throws {
            let pairs: [(ConfigurationKey, String?)] = [
                (.mqttURL, mqttURL), (.mqttUsername, mqttUsername), (.mqttPassword, try readSecret(mqttPasswordFile, for: .mqttPassword)),
                (.mqttCAFile, mqttCAFile), (.mqttClientID, mqttClientID), (.mqttShareGroup, mqttShareGroup),
                (.mqttSessionExpirySeconds, mqttSessionExpirySeconds), (.ingestTenant, ingestTenant), (.mqttReceiveMaximum, mqttReceiveMaximum),
                (.mediaRoot, mediaRoot), (.cloudURL, cloudURL), (.cloudToken, try readSecret(cloudTokenFile, for: .cloudToken)),
                (.syncMaxBatchBytes, syncMaxBatchBytes), (.apiToken, try readSecret(apiTokenFile, for: .apiToken)), (.edgeID, edgeID), (.telemetryURL, telemetryURL), (.sessionURL, sessionURL),
                (.sessionGraceSeconds, sessionGraceSeconds), (.sessionTimeoutSeconds, sessionTimeoutSeconds), (.telemetryRetentionDays, telemetryRetentionDays),
                (.eventMaxAgeDays, eventMaxAgeDays), (.ingestBatchSize, ingestBatchSize), (.dbSoftWatermark, dbSoftWatermark),
                (.mediaHardWatermark, mediaHardWatermark), (.mediaSoftWatermark, mediaSoftWatermark), (.mediaURL, mediaURL), (.inferenceWorkers, inferenceWorkers),
            ]
            var result = status.overrides
            for (key, value) in pairs { if let value { result[key.environmentName] = value } }
            return result
        }
    }
}
