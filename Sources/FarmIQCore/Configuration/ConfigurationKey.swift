/// Every operator setting, in one place (`contracts.md` §7 plus the edge's own).
///
/// Each is an environment variable and the same-named `farmiq-edge` flag
/// (`FARMIQ_DATABASE_URL` ⇔ `--database-url`). Defaults serve the embedded mode.
public struct ConfigurationKey: Sendable, Hashable, CaseIterable {
    public let environmentName: String
    public let defaultValue: String?
    public let help: String

    public init(_ environmentName: String, default defaultValue: String?, help: String) {
        self.environmentName = environmentName
        self.defaultValue = defaultValue
        self.help = help
    }

    /// `FARMIQ_DATABASE_URL` → `database-url`.
    public var flagName: String {
        String(environmentName.dropFirst("FARMIQ_".count).lowercased().map { $0 == "_" ? "-" : $0 })
    }

    public static let databaseURL = ConfigurationKey("FARMIQ_DATABASE_URL", default: DatabaseURL.defaultValue, help: "sqlite://PATH or postgres://user:pass@host:5432/db")
    public static let mqttURL = ConfigurationKey("FARMIQ_MQTT_URL", default: "mqtt://127.0.0.1:1883", help: "mqtt://host:port, or mqtts:// for TLS")
    public static let mqttUsername = ConfigurationKey("FARMIQ_MQTT_USERNAME", default: nil, help: "MQTT user name")
    public static let mqttPassword = ConfigurationKey("FARMIQ_MQTT_PASSWORD", default: nil, help: "MQTT password")
    public static let mqttCAFile = ConfigurationKey("FARMIQ_MQTT_CA_FILE", default: nil, help: "PEM file of the CA that signed the broker's certificate (mqtts://); default: system trust")
    public static let mqttClientID = ConfigurationKey("FARMIQ_MQTT_CLIENT_ID", default: nil, help: "stable MQTT client id of the gateway; default farmiq-ingress-{edge id}")
    public static let ingestTenant = ConfigurationKey("FARMIQ_INGEST_TENANT", default: "+", help: "tenant whose device topics the gateway subscribes to; + for all")
    public static let mqttSessionExpirySeconds = ConfigurationKey("FARMIQ_MQTT_SESSION_EXPIRY_SECONDS", default: "604800", help: "how long the broker keeps the gateway's session (and queues for it) while it is away")
    public static let mqttShareGroup = ConfigurationKey("FARMIQ_MQTT_SHARE_GROUP", default: nil, help: "shared-subscription group of the gateway replicas; default farmiq-ingress for serve ingress-gateway, none (a plain subscription) for all-in-one")
    public static let httpHost = ConfigurationKey("FARMIQ_HTTP_HOST", default: "127.0.0.1", help: "HTTP listen address")
    public static let httpPort = ConfigurationKey("FARMIQ_HTTP_PORT", default: "8080", help: "HTTP listen port (0: any free port)")
    public static let mediaRoot = ConfigurationKey("FARMIQ_MEDIA_ROOT", default: "./data/media", help: "the media volume: images at {tenant}/{farm}/{barn}/{session|_none}/{timestamp}.jpg, uploads in progress in .tmp/")
    public static let cloudURL = ConfigurationKey("FARMIQ_CLOUD_URL", default: nil, help: "cloud base URL; unset: sync paused and the outbox only grows")
    public static let cloudToken = ConfigurationKey("FARMIQ_CLOUD_TOKEN", default: nil, help: "the edge's bearer token for the cloud")
    public static let syncMaxBatchBytes = ConfigurationKey("FARMIQ_SYNC_MAX_BATCH_BYTES", default: "1048576", help: "most bytes of one sync request body as sent (4096-67108864); keeps batches under a proxy's body limit")
    public static let apiToken = ConfigurationKey("FARMIQ_API_TOKEN", default: nil, help: "operator bearer token for every endpoint but /health/*, /metrics and the device endpoints; required when the HTTP listener is not on loopback")
    public static let edgeID = ConfigurationKey("FARMIQ_EDGE_ID", default: nil, help: "names this edge to the cloud; default: the host name")
    public static let logLevel = ConfigurationKey("FARMIQ_LOG_LEVEL", default: "info", help: "trace, debug, info, notice, warning, error, critical")
    public static let telemetryURL = ConfigurationKey("FARMIQ_TELEMETRY_URL", default: "http://127.0.0.1:8081", help: "cluster mode: where the gateway sends telemetry batches")
    public static let sessionURL = ConfigurationKey("FARMIQ_SESSION_URL", default: "http://127.0.0.1:8082", help: "cluster mode: where the gateway sends weigh-session events (serve weighvision-session)")
    public static let sessionGraceSeconds = ConfigurationKey("FARMIQ_SESSION_GRACE_SECONDS", default: "30", help: "a weigh session is finalized this long after its last event once ended was received (1-86400)")
    public static let sessionTimeoutSeconds = ConfigurationKey("FARMIQ_SESSION_TIMEOUT_SECONDS", default: "1800", help: "a weigh session without ended is finalized as timed_out this long after its last event (1-604800)")
    public static let telemetryRetentionDays = ConfigurationKey("FARMIQ_TELEMETRY_RETENTION_DAYS", default: "30", help: "days raw readings are kept once synced")
    public static let eventMaxAgeDays = ConfigurationKey("FARMIQ_EVENT_MAX_AGE_DAYS", default: "30", help: "messages whose occurred_at is older than this are rejected too_old; each event id is remembered this long plus 1 h 5 min after its receipt")
    public static let ingestBatchSize = ConfigurationKey("FARMIQ_INGEST_BATCH_SIZE", default: "500", help: "messages per gateway commit")
    public static let mqttReceiveMaximum = ConfigurationKey("FARMIQ_MQTT_RECEIVE_MAXIMUM", default: "2000", help: "unacknowledged QoS 1 messages the broker may send the gateway")

    public static let dbHardWatermark = ConfigurationKey("FARMIQ_DB_HARD_WATERMARK", default: "0.95", help: "used fraction of the database volume at which the gateway stops acknowledging")
    public static let dbSoftWatermark = ConfigurationKey("FARMIQ_DB_SOFT_WATERMARK", default: "0.85", help: "used fraction of the database volume above which delivered outbox rows and synced raw readings are reclaimed early")
    public static let mediaHardWatermark = ConfigurationKey("FARMIQ_MEDIA_HARD_WATERMARK", default: "0.95", help: "used fraction of the media volume above which uploads get 507 and nothing is written")
    public static let mediaSoftWatermark = ConfigurationKey("FARMIQ_MEDIA_SOFT_WATERMARK", default: "0.85", help: "used fraction of the media volume above which files of images the cloud already has are deleted, oldest first")
    public static let mediaURL = ConfigurationKey("FARMIQ_MEDIA_URL", default: nil, help: "cluster mode: the media store's base URL, where serve sync-forwarder and serve vision-inference read image bytes (with FARMIQ_API_TOKEN)")
    public static let inferenceWorkers = ConfigurationKey("FARMIQ_INFERENCE_WORKERS", default: nil, help: "image analysis workers of vision-inference (1-64); default: one per core")
    public static let dbVolumePath = ConfigurationKey("FARMIQ_DB_VOLUME_PATH", default: nil, help: "a path on the database volume (default: the SQLite file's folder; set it for PostgreSQL on a local PVC)")

    public static let allCases: [ConfigurationKey] = [
        .databaseURL, .mqttURL, .mqttUsername, .mqttPassword, .mqttCAFile, .mqttClientID, .mqttShareGroup, .mqttSessionExpirySeconds, .ingestTenant,
        .httpHost, .httpPort, .mediaRoot, .cloudURL, .cloudToken, .syncMaxBatchBytes, .apiToken, .edgeID, .logLevel,
        .telemetryURL, .sessionURL, .sessionGraceSeconds, .sessionTimeoutSeconds, .telemetryRetentionDays, .eventMaxAgeDays, .ingestBatchSize, .mqttReceiveMaximum, .dbHardWatermark, .dbSoftWatermark, .dbVolumePath,
        .mediaHardWatermark, .mediaSoftWatermark, .mediaURL, .inferenceWorkers,
    ]
}
