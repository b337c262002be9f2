/// Which services a `farmiq-edge` process runs.
public enum EdgeMode: String, Sendable, CaseIterable {
    /// Every service built so far in one process, one HTTP port (embedded default).
    case allInOne = "all-in-one"
    /// edge-ingress-gateway alone (cluster mode); telemetry goes to `FARMIQ_TELEMETRY_URL`.
    case ingressGateway = "ingress-gateway"
    /// edge-telemetry-timeseries alone (cluster mode).
    case telemetryTimeseries = "telemetry-timeseries"
    /// edge-weighvision-session alone (cluster mode): session events from the gateway, the finalization pass,
    /// the session API.
    case weighvisionSession = "weighvision-session"
    /// edge-media-store alone (cluster mode): image uploads, the media volume and its sweep.
    case mediaStore = "media-store"
    /// edge-vision-inference alone (cluster mode): image analysis of the jobs the media store queues.
    case visionInference = "vision-inference"
    /// edge-sync-forwarder alone (cluster mode; run two for availability, one holds the lease).
    case syncForwarder = "sync-forwarder"

    var runsGateway: Bool { self == .allInOne || self == .ingressGateway }
    var runsTelemetry: Bool { self == .allInOne || self == .telemetryTimeseries }
    var runsSessions: Bool { self == .allInOne || self == .weighvisionSession }
    var runsMediaStore: Bool { self == .allInOne || self == .mediaStore }
    var runsInference: Bool { self == .allInOne || self == .visionInference }
    var runsForwarder: Bool { self == .allInOne || self == .syncForwarder }
}
