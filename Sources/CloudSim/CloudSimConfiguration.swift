/// Configuration of `farmiq-edge cloud-sim`, the reference cloud-ingestion used as a test peer.
public struct CloudSimConfiguration: Sendable {
    /// Listen address. Default `127.0.0.1`.
    public var host: String = "127.0.0.1"
    /// Listen port; 0 picks a free one (reported through `onBound`). Default 9090.
    public var port: Int = 9090
    /// Where the store (`cloud-sim.sqlite`) and the media (`media/{tenant}/{media_id}`) live. Created if missing.
    public var dataDirectory: String = "./data/cloud-sim"
    /// The bearer token the edge must send. `nil` accepts any non-empty bearer token (the header is still required).
    public var token: String?
    /// Faults in force from the start.
    public var faults = CloudSimFaults()
    /// Most events in one batch (contract: 1000); more is `413`.
    public var maxEventsPerBatch: Int = 1000
    /// Most bytes of a request body as sent (compressed or not); more is `413`.
    public var maxRequestBytes: Int = 64 * 1024 * 1024
    /// Most bytes a gzip body may inflate to; more is `413` (gzip bombs).
    public var maxDecompressedBytes: Int = 64 * 1024 * 1024
    /// Most bytes of one media object; more is `413`.
    public var maxMediaBytes: Int = 64 * 1024 * 1024

    public init(host: String = "127.0.0.1", port: Int = 9090, dataDirectory: String = "./data/cloud-sim", token: String? = nil,
                faults: CloudSimFaults = CloudSimFaults()) {
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.token = token
        self.faults = faults
    }
}
