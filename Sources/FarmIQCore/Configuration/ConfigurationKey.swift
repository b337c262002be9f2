/// Every operator setting, in one place (`contracts.md` §7 plus the edge's own).
///
/// Each is an environment variable and the same-named `farmiq-edge` flag
/// (`FARMIQ_DATABASE_URL` ⇔ `--database-url`). Defaults serve the embedded mode.
public struct ConfigurationKey: Sendable, Hashable, CaseIterable {
    /// The environment variable, `FARMIQ_…`; the flag name derives from it (``flagName``).
    public let environmentName: String
    /// The value when neither flag nor environment variable sets it; `nil`: unset.
    public let defaultValue: String?
    /// One line describing the setting, shown by `farmiq-edge --help`.
    public let help: String

    /// A setting; `environmentName` is expected to start with `FARMIQ_`, the prefix ``flagName`` drops.
    public init(_ environmentName: String, default defaultValue: String?, help: String) {
        self.environmentName = environmentName
        self.defaultValue = defaultValue
        self.help = help
    }

    /// `FARMIQ_DATABASE_URL` → `database-url`.
    public var flagName: String {
        String(environmentName.dropFirst("FARMIQ_".count).lowercased().map { $0 == "_" ? "-" : $0 })
    }

    /// `FARMIQ_DATABASE_URL`: where the edge database lives (``DatabaseURL``; `contracts.md` §7).
    public static let databaseURL = ConfigurationKey("FARMIQ_DATABASE_URL", default: DatabaseURL.defaultValue, help: "sqlite://PATH or postgres://user:pass@host:5432/db")
    /// `FARMIQ_MQTT_URL`: the broker, `mqtt://host:port` or `mqtts://` for TLS (`contracts.md` §7).
    public static let mqttURL = ConfigurationKey("FARMIQ_MQTT_URL", default: "mqtt://127.0.0.1:1883", help: "mqtt://host:port, or mqtts:// for TLS")
    /// `FARMIQ_MQTT_USERNAME`: the gateway's broker user name; unset by default.
    public static let mqttUsername = ConfigurationKey("FARMIQ_MQTT_USERNAME", default: nil, help: "MQTT user name")
    /// `FARMIQ_MQTT_PASSWORD`: the gateway's broker password; unset by default.
    public static let mqttPassword = ConfigurationKey("FARMIQ_MQTT_PASSWORD", default: nil, help: "MQTT password")
    /// `FARMIQ_MQTT_CA_FILE`: PEM file of the broker's CA for `mqtts://`; unset: the system trust store.
    public static let mqttCAFile = ConfigurationKey("FARMIQ_MQTT_CA_FILE", default: nil, help: "PEM file of the CA that signed the broker's certificate (mqtts://); default: system trust")
    /// `FARMIQ_MQTT_CLIENT_ID`: the gateway's MQTT client id; default `farmiq-ingress-{edge id}`.
    public static let mqttClientID = ConfigurationKey("FARMIQ_MQTT_CLIENT_ID", default: nil, help: "stable MQTT client id of the gateway; default farmiq-ingress-{edge id}")
    /// `FARMIQ_INGEST_TENANT`: the tenant whose device topics the gateway subscribes to; `+` (default) for all.
    public static let ingestTenant = ConfigurationKey("FARMIQ_INGEST_TENANT", default: "+", help: "tenant whose device topics the gateway subscribes to; + for all")
    /// `FARMIQ_MQTT_SESSION_EXPIRY_SECONDS`: MQTT session expiry of the gateway, seconds (default 604800, 7 days).
    public static let mqttSessionExpirySeconds = ConfigurationKey("FARMIQ_MQTT_SESSION_EXPIRY_SECONDS", default: "604800", help: "how long the broker keeps the gateway's session (and queues for it) while it is away")
    /// `FARMIQ_MQTT_SHARE_GROUP`: shared-subscription group of the gateway replicas; `none`: a plain subscription.
    public static let mqttShareGroup = ConfigurationKey("FARMIQ_MQTT_SHARE_GROUP", default: nil, help: "shared-subscription group of the gateway replicas; default farmiq-ingress for serve ingress-gateway, none (a plain subscription) for all-in-one")
    /// `FARMIQ_HTTP_HOST`: HTTP listen address (default `127.0.0.1`; off loopback ``apiToken`` is required).
    public static let httpHost = ConfigurationKey("FARMIQ_HTTP_HOST", default: "127.0.0.1", help: "HTTP listen address")
    /// `FARMIQ_HTTP_PORT`: HTTP listen port, 0–65535 (default 8080; 0: any free port).
    public static let httpPort = ConfigurationKey("FARMIQ_HTTP_PORT", default: "8080", help: "HTTP listen port (0: any free port)")
    /// `FARMIQ_MEDIA_ROOT`: root directory of the media volume (default `./data/media`; `contracts.md` §3).
    public static let mediaRoot = ConfigurationKey("FARMIQ_MEDIA_ROOT", default: "./data/media", help: "the media volume: images at {tenant}/{farm}/{barn}/{session|_none}/{timestamp}.jpg, uploads in progress in .tmp/")
    /// `FARMIQ_CLOUD_URL`: the cloud's base URL; unset (default): sync paused (`contracts.md` §7).
    public static let cloudURL = ConfigurationKey("FARMIQ_CLOUD_URL", default: nil, help: "cloud base URL; unset: sync paused and the outbox only grows")
    /// `FARMIQ_CLOUD_TOKEN`: the edge's bearer token for the cloud (`contracts.md` §4).
    public static let cloudToken = ConfigurationKey("FARMIQ_CLOUD_TOKEN", default: nil, help: "the edge's bearer token for the cloud")
    /// `FARMIQ_SYNC_MAX_BATCH_BYTES`: most bytes of one sync request body as sent, 4096–67108864 (default 1 MiB).
    public static let syncMaxBatchBytes = ConfigurationKey("FARMIQ_SYNC_MAX_BATCH_BYTES", default: "1048576", help: "most bytes of one sync request body as sent (4096-67108864); keeps batches under a proxy's body limit")
    /// `FARMIQ_API_TOKEN`: the operator bearer token (`contracts.md` §6); required off loopback.
    public static let apiToken = ConfigurationKey("FARMIQ_API_TOKEN", default: nil, help: "operator bearer token for every endpoint but /health/*, /metrics and the device endpoints; required when the HTTP listener is not on loopback")
    /// `FARMIQ_EDGE_ID`: this edge's name to the cloud; default the host name (`contracts.md` §7).
    public static let edgeID = ConfigurationKey("FARMIQ_EDGE_ID", default: nil, help: "names this edge to the cloud; default: the host name")
    /// `FARMIQ_LOG_LEVEL`: a swift-log level name, default `info`.
    public static let logLevel = ConfigurationKey("FARMIQ_LOG_LEVEL", default: "info", help: "trace, debug, info, notice, warning, error, critical")
    /// `FARMIQ_TELEMETRY_URL`: cluster mode, base URL of the telemetry service (``GatewayBatch/path``).
    public static let telemetryURL = ConfigurationKey("FARMIQ_TELEMETRY_URL", default: "http://127.0.0.1:8081", help: "cluster mode: where the gateway sends telemetry batches")
    /// `FARMIQ_SESSION_URL`: cluster mode, base URL of the weigh-session service (``GatewayBatch/sessionPath``).
    public static let sessionURL = ConfigurationKey("FARMIQ_SESSION_URL", default: "http://127.0.0.1:8082", help: "cluster mode: where the gateway sends weigh-session events (serve weighvision-session)")
    /// `FARMIQ_SESSION_GRACE_SECONDS`: seconds, 1–86400, default 30 (`contracts.md` §3a).
    public static let sessionGraceSeconds = ConfigurationKey("FARMIQ_SESSION_GRACE_SECONDS", default: "30", help: "a weigh session is finalized this long after its last event once ended was received (1-86400)")
    /// `FARMIQ_SESSION_TIMEOUT_SECONDS`: seconds, 1–604800, default 1800 (`contracts.md` §3a).
    public static let sessionTimeoutSeconds = ConfigurationKey("FARMIQ_SESSION_TIMEOUT_SECONDS", default: "1800", help: "a weigh session without ended is finalized as timed_out this long after its last event (1-604800)")
    /// `FARMIQ_TELEMETRY_RETENTION_DAYS`: days synced raw readings are kept, 1–3650, default 30.
    public static let telemetryRetentionDays = ConfigurationKey("FARMIQ_TELEMETRY_RETENTION_DAYS", default: "30", help: "days raw readings are kept once synced")
    /// `FARMIQ_EVENT_MAX_AGE_DAYS`: days, 1–3650, default 30 (``EnvelopeValidator/maxEventAgeMilliseconds``).
    public static let eventMaxAgeDays = ConfigurationKey("FARMIQ_EVENT_MAX_AGE_DAYS", default: "30", help: "messages whose occurred_at is older than this are rejected too_old; each event id is remembered this long plus 1 h 5 min after its receipt")
    /// `FARMIQ_INGEST_BATCH_SIZE`: messages per gateway commit, 1–5000, default 2000 (and at most 16 MiB of payloads).
    public static let ingestBatchSize = ConfigurationKey("FARMIQ_INGEST_BATCH_SIZE", default: "2000", help: "messages per gateway commit")
    /// `FARMIQ_MQTT_RECEIVE_MAXIMUM`: the gateway's MQTT Receive Maximum, 1–65535, default 16000 (reads are also held
    /// at 32 MiB of unacknowledged messages).
    public static let mqttReceiveMaximum = ConfigurationKey("FARMIQ_MQTT_RECEIVE_MAXIMUM", default: "16000", help: "unacknowledged QoS 1 messages the broker may send the gateway")

    /// `FARMIQ_DB_HARD_WATERMARK`: a fraction in (0, 1], default 0.95.
    public static let dbHardWatermark = ConfigurationKey("FARMIQ_DB_HARD_WATERMARK", default: "0.95", help: "used fraction of the database volume at which the gateway stops acknowledging")
    /// `FARMIQ_DB_SOFT_WATERMARK`: a fraction in (0, 1], default 0.85; capped at the hard watermark.
    public static let dbSoftWatermark = ConfigurationKey("FARMIQ_DB_SOFT_WATERMARK", default: "0.85", help: "used fraction of the database volume above which delivered outbox rows and synced raw readings are reclaimed early")
    /// `FARMIQ_MEDIA_HARD_WATERMARK`: a fraction in (0, 1], default 0.95; above it uploads get `507` (`contracts.md` §3, §7).
    public static let mediaHardWatermark = ConfigurationKey("FARMIQ_MEDIA_HARD_WATERMARK", default: "0.95", help: "used fraction of the media volume above which uploads get 507 and nothing is written")
    /// `FARMIQ_MEDIA_SOFT_WATERMARK`: a fraction in (0, 1], default 0.85; capped at the hard watermark.
    public static let mediaSoftWatermark = ConfigurationKey("FARMIQ_MEDIA_SOFT_WATERMARK", default: "0.85", help: "used fraction of the media volume above which files of images the cloud already has are deleted, oldest first")
    /// `FARMIQ_MEDIA_URL`: cluster mode, the media store's base URL; unset by default.
    public static let mediaURL = ConfigurationKey("FARMIQ_MEDIA_URL", default: nil, help: "cluster mode: the media store's base URL, where serve sync-forwarder and serve vision-inference read image bytes (with FARMIQ_API_TOKEN)")
    /// `FARMIQ_INFERENCE_WORKERS`: image analysis workers, 1–64; unset (default): one per core.
    public static let inferenceWorkers = ConfigurationKey("FARMIQ_INFERENCE_WORKERS", default: nil, help: "image analysis workers of vision-inference (1-64); default: one per core")
    /// `FARMIQ_DB_VOLUME_PATH`: a path on the database volume; unset (default): the SQLite file's folder.
    public static let dbVolumePath = ConfigurationKey("FARMIQ_DB_VOLUME_PATH", default: nil, help: "a path on the database volume (default: the SQLite file's folder; set it for PostgreSQL on a local PVC)")

    /// Every key above.
    public static let allCases: [ConfigurationKey] = [
        .databaseURL, .mqttURL, .mqttUsername, .mqttPassword, .mqttCAFile, .mqttClientID, .mqttShareGroup, .mqttSessionExpirySeconds, .ingestTenant,
        .httpHost, .httpPort, .mediaRoot, .cloudURL, .cloudToken, .syncMaxBatchBytes, .apiToken, .edgeID, .logLevel,
        .telemetryURL, .sessionURL, .sessionGraceSeconds, .sessionTimeoutSeconds, .telemetryRetentionDays, .eventMaxAgeDays, .ingestBatchSize, .mqttReceiveMaximum, .dbHardWatermark, .dbSoftWatermark, .dbVolumePath,
        .mediaHardWatermark, .mediaSoftWatermark, .mediaURL, .inferenceWorkers,
    ]
}
