#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// The resolved settings of a `farmiq-edge` process. Flags win over environment variables,
/// which win over defaults. A bad value throws one ``EdgeError`` naming the setting.
public struct EdgeConfiguration: Sendable {
    /// `FARMIQ_DATABASE_URL`, parsed.
    public var databaseURL: DatabaseURL
    /// `FARMIQ_MQTT_URL`: starts with `mqtt://` or `mqtts://`.
    public var mqttURL: String
    /// `FARMIQ_MQTT_USERNAME`; `nil`: unset.
    public var mqttUsername: String?
    /// `FARMIQ_MQTT_PASSWORD`; `nil`: unset.
    public var mqttPassword: String?
    /// `FARMIQ_MQTT_CA_FILE`: PEM file of the broker's CA; `nil`: the system trust store.
    public var mqttCAFile: String?
    /// `FARMIQ_MQTT_CLIENT_ID`, 1–64 chars of `[A-Za-z0-9_-]`; default the last 64 chars of `farmiq-ingress-{edgeID}`.
    public var mqttClientID: String
    /// Shared-subscription group; nil: the mode's default; "none": a plain subscription.
    public var mqttShareGroup: String?
    /// The tenant whose topics the gateway subscribes to, or `+` for every tenant.
    public var ingestTenant: String
    /// `FARMIQ_MQTT_RECEIVE_MAXIMUM`: unacknowledged QoS 1 messages the broker may send, 1–65535.
    public var mqttReceiveMaximum: Int
    /// `FARMIQ_MQTT_SESSION_EXPIRY_SECONDS`: seconds, 0–4294967295.
    public var mqttSessionExpirySeconds: Int
    /// `FARMIQ_HTTP_HOST`: the HTTP listen address.
    public var httpHost: String
    /// `FARMIQ_HTTP_PORT`: 0–65535; 0: any free port.
    public var httpPort: Int
    /// `FARMIQ_MEDIA_ROOT`: root directory of the media volume.
    public var mediaRoot: String
    /// `FARMIQ_CLOUD_URL`: starts with `https://` (or `http://` for a test peer); `nil`: sync paused.
    public var cloudURL: String?
    /// `FARMIQ_CLOUD_TOKEN`: the edge's bearer token for the cloud; `nil`: unset.
    public var cloudToken: String?
    /// The operator bearer token (`FARMIQ_API_TOKEN`, `contracts.md` §6); `nil`: operator endpoints are open,
    /// allowed only on a loopback listener (``requireOperatorTokenOffLoopback()``).
    public var apiToken: String?
    /// Cluster mode: the weighvision-session service's base URL (`FARMIQ_SESSION_URL`).
    public var sessionURL: String
    /// When weigh sessions close (`FARMIQ_SESSION_GRACE_SECONDS`, `FARMIQ_SESSION_TIMEOUT_SECONDS`, §3a).
    public var sessionPolicy: SessionPolicy
    /// Most bytes of one sync request body as sent (`FARMIQ_SYNC_MAX_BATCH_BYTES`).
    public var syncMaxBatchBytes: Int
    /// `FARMIQ_EDGE_ID`, else the host name (other characters replaced by `-`): 1–64 chars of `[A-Za-z0-9_-]`.
    public var edgeID: String
    /// `FARMIQ_LOG_LEVEL`, case-insensitive.
    public var logLevel: Logger.Level
    /// Cluster mode: the telemetry service's base URL (`FARMIQ_TELEMETRY_URL`), `http://` or `https://`.
    public var telemetryURL: String
    /// `FARMIQ_TELEMETRY_RETENTION_DAYS`: days synced raw readings are kept, 1–3650.
    public var telemetryRetentionDays: Int
    /// `FARMIQ_EVENT_MAX_AGE_DAYS`: see ``EnvelopeValidator/maxEventAgeMilliseconds``.
    public var eventMaxAgeDays: Int
    /// `FARMIQ_INGEST_BATCH_SIZE`: messages per gateway commit, 1–5000.
    public var ingestBatchSize: Int
    /// Used fraction of the database volume at which intake pauses.
    public var dbHardWatermark: Double
    /// Used fraction of the database volume above which what is already in the cloud is reclaimed early
    /// (never above `dbHardWatermark`).
    public var dbSoftWatermark: Double
    /// Used fraction of the media volume above which uploads get `507` (`contracts.md` §7).
    public var mediaHardWatermark: Double
    /// Used fraction of the media volume above which uploaded images' files are reclaimed (never above the hard one).
    public var mediaSoftWatermark: Double
    /// Cluster mode: the media store's base URL, for the forwarder's image bytes.
    public var mediaURL: String?
    /// Image analysis workers; `nil`: one per core.
    public var inferenceWorkers: Int?
    /// A path on the database volume; nil means the SQLite file's folder (PostgreSQL: not watched).
    public var dbVolumePath: String?

    /// Resolves every key from `overrides` (flags, keyed by environment name), then `environment`, then defaults.
    public init(environment: [String: String], overrides: [String: String] = [:]) throws(EdgeError) {
        func value(_ key: ConfigurationKey) -> String? {
            if let flag = overrides[key.environmentName] { return flag }
            if let env = environment[key.environmentName], !env.isEmpty { return env }
            return key.defaultValue
        }
        func integer(_ key: ConfigurationKey, _ range: ClosedRange<Int>) throws(EdgeError) -> Int {
            guard let text = value(key), let number = Int(text), range.contains(number) else {
                throw EdgeError(.invalidConfiguration, "\(key.environmentName) must be an integer in \(range.lowerBound)...\(range.upperBound)")
            }
            return number
        }
        databaseURL = try DatabaseURL(parsing: value(.databaseURL) ?? DatabaseURL.defaultValue)
        let mqtt = value(.mqttURL) ?? ""
        guard mqtt.hasPrefix("mqtt://") || mqtt.hasPrefix("mqtts://") else {
            throw EdgeError(.invalidConfiguration, "FARMIQ_MQTT_URL must start with mqtt:// or mqtts://")
        }
        mqttURL = mqtt
        mqttUsername = value(.mqttUsername)
        mqttPassword = value(.mqttPassword)
        mqttCAFile = value(.mqttCAFile)
        let host = value(.edgeID) ?? EdgeConfiguration.hostName()
        guard Identifier.isValidName(host) else {
            throw EdgeError(.invalidConfiguration, "FARMIQ_EDGE_ID must be 1-64 chars of [A-Za-z0-9_-]")
        }
        edgeID = host
        // The default must itself be a valid id: a 50+ char host name would overflow 64 chars.
        mqttClientID = value(.mqttClientID) ?? String("farmiq-ingress-\(host)".suffix(64))
        guard Identifier.isValidName(mqttClientID) else {
            throw EdgeError(.invalidConfiguration, "FARMIQ_MQTT_CLIENT_ID must be 1-64 chars of [A-Za-z0-9_-]")
        }
        mqttShareGroup = value(.mqttShareGroup)
        if let mqttShareGroup, !Identifier.isValidName(mqttShareGroup) {
            throw EdgeError(.invalidConfiguration, "FARMIQ_MQTT_SHARE_GROUP must be 1-64 chars of [A-Za-z0-9_-]")
        }
        ingestTenant = value(.ingestTenant) ?? "+"
        guard ingestTenant == "+" || Identifier.isValidName(ingestTenant) else {
            throw EdgeError(.invalidConfiguration, "FARMIQ_INGEST_TENANT must be + or 1-64 chars of [A-Za-z0-9_-]")
        }
        mqttReceiveMaximum = try integer(.mqttReceiveMaximum, 1...65535)
        mqttSessionExpirySeconds = try integer(.mqttSessionExpirySeconds, 0...4_294_967_295)
        httpHost = value(.httpHost) ?? "127.0.0.1"
        httpPort = try integer(.httpPort, 0...65535)
        mediaRoot = value(.mediaRoot) ?? "./data/media"
        cloudURL = value(.cloudURL)
        if let cloud = cloudURL, !(cloud.hasPrefix("http://") || cloud.hasPrefix("https://")) {
            throw EdgeError(.invalidConfiguration, "FARMIQ_CLOUD_URL must start with https:// (or http:// for a test peer)")
        }
        cloudToken = value(.cloudToken)
        syncMaxBatchBytes = try integer(.syncMaxBatchBytes, 4096...67_108_864)
        apiToken = value(.apiToken)
        if let token = apiToken, token.utf8.count < 16 || token.utf8.contains(where: { $0 <= 0x20 || $0 >= 0x7f }) {
            throw EdgeError(.invalidConfiguration, "FARMIQ_API_TOKEN must be at least 16 printable ASCII characters without spaces")
        }
        guard let level = Logger.Level(rawValue: (value(.logLevel) ?? "info").lowercased()) else {
            throw EdgeError(.invalidConfiguration, "FARMIQ_LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical")
        }
        logLevel = level
        let telemetry = value(.telemetryURL) ?? ""
        guard telemetry.hasPrefix("http://") || telemetry.hasPrefix("https://") else {
            throw EdgeError(.invalidConfiguration, "FARMIQ_TELEMETRY_URL must start with http:// or https://")
        }
        telemetryURL = telemetry
        let sessions = value(.sessionURL) ?? ""
        guard sessions.hasPrefix("http://") || sessions.hasPrefix("https://") else {
            throw EdgeError(.invalidConfiguration, "FARMIQ_SESSION_URL must start with http:// or https://")
        }
        sessionURL = sessions
        sessionPolicy = SessionPolicy(
            grace: .seconds(try integer(.sessionGraceSeconds, 1...86_400)), timeout: .seconds(try integer(.sessionTimeoutSeconds, 1...604_800)))
        telemetryRetentionDays = try integer(.telemetryRetentionDays, 1...3650)
        eventMaxAgeDays = try integer(.eventMaxAgeDays, 1...3650)
        ingestBatchSize = try integer(.ingestBatchSize, 1...5000)
        guard let watermark = Double(value(.dbHardWatermark) ?? ""), watermark > 0, watermark <= 1 else {
            throw EdgeError(.invalidConfiguration, "FARMIQ_DB_HARD_WATERMARK must be a fraction in (0, 1]")
        }
        dbHardWatermark = watermark
        guard let soft = Double(value(.dbSoftWatermark) ?? ""), soft > 0, soft <= 1 else {
            throw EdgeError(.invalidConfiguration, "FARMIQ_DB_SOFT_WATERMARK must be a fraction in (0, 1]")
        }
        // Reclaiming must start no later than intake stops.
        dbSoftWatermark = min(soft, watermark)
        dbVolumePath = value(.dbVolumePath)
        guard let mediaHard = Double(value(.mediaHardWatermark) ?? ""), mediaHard > 0, mediaHard <= 1 else {
            throw EdgeError(.invalidConfiguration, "FARMIQ_MEDIA_HARD_WATERMARK must be a fraction in (0, 1]")
        }
        mediaHardWatermark = mediaHard
        guard let mediaSoft = Double(value(.mediaSoftWatermark) ?? ""), mediaSoft > 0, mediaSoft <= 1 else {
            throw EdgeError(.invalidConfiguration, "FARMIQ_MEDIA_SOFT_WATERMARK must be a fraction in (0, 1]")
        }
        mediaSoftWatermark = min(mediaSoft, mediaHard)
        mediaURL = value(.mediaURL).map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        inferenceWorkers = value(.inferenceWorkers) == nil ? nil : try integer(.inferenceWorkers, 1...64)
    }

    /// The path whose file system is the database volume (watermarks, `farmiq_volume_used_ratio{volume="db"}`,
    /// `status`): `FARMIQ_DB_VOLUME_PATH`, else the SQLite file's folder; nil for PostgreSQL without it.
    public var databaseVolumePath: String? {
        if let dbVolumePath { return dbVolumePath }
        guard case .sqlite(let path) = databaseURL else { return nil }
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let directory = String(path[..<slash])
        return directory.isEmpty ? "/" : directory
    }

    /// The envelope validator with this configuration's device-clock rule.
    public var validator: EnvelopeValidator {
        EnvelopeValidator(maxEventAgeDays: eventMaxAgeDays)
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "edge" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let cleaned = String(name.prefix(64).map { Identifier.isValidName(String($0)) ? $0 : "-" })
        return cleaned.isEmpty ? "edge" : cleaned
    }

    /// `contracts.md` §6: a listener off loopback needs the operator token. Checked by the processes that
    /// listen (`all-in-one`, `serve`), not by tools. Throws one line naming the setting.
    public func requireOperatorTokenOffLoopback() throws(EdgeError) {
        guard apiToken == nil, !Self.isLoopback(httpHost) else { return }
        throw EdgeError(.invalidConfiguration,
                        "FARMIQ_API_TOKEN is required when FARMIQ_HTTP_HOST (\(httpHost)) is not a loopback address; set it, or listen on 127.0.0.1")
    }

    /// `localhost`, `::1` and `127.0.0.0/8`.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}
