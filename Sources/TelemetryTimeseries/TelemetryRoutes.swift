import FarmIQCore
import FarmIQHTTP
import FarmIQStorage
import Hummingbird
import NIOCore

/// The HTTP API of edge-telemetry-timeseries.
///
/// - `GET /api/v1/telemetry/readings?tenant_id=&device_id=&metric=&from=&to=&limit=`
/// - `GET /api/v1/telemetry/aggregates?tenant_id=&bucket=1m|1h&device_id=&metric=&from=&to=&limit=`
/// - `GET /api/v1/telemetry/latest?tenant_id=&device_id=&metric=`
/// - `POST /internal/v1/telemetry/batches` (cluster mode: the gateway's batches, see ``GatewayBatch``)
///
/// Every query is scoped to one `tenant_id`, required and validated; times are RFC 3339.
public struct TelemetryRoutes: Sendable {
    let service: TelemetryService
    let validator: EnvelopeValidator
    /// Whether `POST /internal/v1/telemetry/batches` exists: only where a separate gateway posts to it
    /// (`serve telemetry-timeseries`). In `all-in-one` the gateway is in process and the route would only be
    /// a way around the broker's per-device topic rules.
    let acceptsGatewayBatches: Bool

    public init(service: TelemetryService, validator: EnvelopeValidator = EnvelopeValidator(), acceptsGatewayBatches: Bool = true) {
        self.service = service
        self.validator = validator
        self.acceptsGatewayBatches = acceptsGatewayBatches
    }

    public func register(on router: Router<BasicRequestContext>) {
        router.get("/api/v1/telemetry/readings") { request, _ in
            let params = try QueryParameters(request.uri.queryParameters, defaultSpanHours: 1)
            let rows = try await service.rawReadings(RawReadingQuery(
                tenantID: params.tenantID, deviceID: params.deviceID, metric: params.metric,
                from: params.from, to: params.to, limit: params.limit))
            return TelemetryJSON.response(TelemetryJSON.readings(rows))
        }
        router.get("/api/v1/telemetry/aggregates") { request, _ in
            let params = try QueryParameters(request.uri.queryParameters, defaultSpanHours: 24)
            let bucketText = request.uri.queryParameters.get("bucket") ?? "1m"
            guard let bucket = AggregateBucketSize(rawValue: bucketText) else {
                throw HTTPError(.badRequest, message: "bucket must be 1m or 1h")
            }
            let rows = try await service.aggregates(AggregateQuery(
                tenantID: params.tenantID, bucket: bucket, deviceID: params.deviceID, metric: params.metric,
                from: params.from, to: params.to, limit: params.limit))
            return TelemetryJSON.response(TelemetryJSON.aggregates(rows))
        }
        router.get("/api/v1/telemetry/latest") { request, _ in
            let params = try QueryParameters(request.uri.queryParameters, defaultSpanHours: 1)
            let rows = try await service.latest(tenantID: params.tenantID, deviceID: params.deviceID, metric: params.metric)
            return TelemetryJSON.response(TelemetryJSON.latest(rows))
        }
        guard acceptsGatewayBatches else { return }
        router.post(RouterPath(GatewayBatch.path)) { request, _ in
            let body = try await request.body.collect(upTo: GatewayBatch.maxBodyBytes)
            let messages: [TelemetryMessage]
            do throws(EdgeError) {
                messages = try GatewayBatch.decode(Array(body.readableBytesView), validator: validator)
            } catch {
                throw HTTPError(.badRequest, message: error.message)
            }
            let counts = try await service.ingest(messages)
            return TelemetryJSON.response(GatewayBatch.encodeCounts(counts))
        }
    }
}

/// Validated query parameters common to the telemetry queries.
struct QueryParameters {
    let tenantID: String
    let deviceID: String?
    let metric: String?
    let from: Timestamp
    let to: Timestamp
    let limit: Int

    init(_ query: Parameters, defaultSpanHours: Int64) throws {
        guard let tenant = query.get("tenant_id"), Identifier.isValidName(tenant) else {
            throw HTTPError(.badRequest, message: "tenant_id is required: 1-64 chars of [A-Za-z0-9_-]")
        }
        tenantID = tenant
        deviceID = query.get("device_id")
        if let deviceID, !Identifier.isValidName(deviceID) {
            throw HTTPError(.badRequest, message: "device_id must be 1-64 chars of [A-Za-z0-9_-]")
        }
        metric = query.get("metric")
        if let metric, !Identifier.isValidMetricName(metric) {
            throw HTTPError(.badRequest, message: "metric must match ^[a-z][a-z0-9_.]{0,63}$")
        }
        func time(_ name: String) throws -> Timestamp? {
            guard let text = query.get(name) else { return nil }
            guard let value = Timestamp(rfc3339: text) else {
                throw HTTPError(.badRequest, message: "\(name) must be an RFC 3339 time")
            }
            return value
        }
        let end = try time("to") ?? Timestamp.now().adding(milliseconds: 60_000)
        to = end
        from = try time("from") ?? end.adding(milliseconds: -defaultSpanHours * 3_600_000)
        guard from <= to else { throw HTTPError(.badRequest, message: "from must not be after to") }
        if let text = query.get("limit") {
            guard let value = Int(text), (1...RawReadingQuery.maxLimit).contains(value) else {
                throw HTTPError(.badRequest, message: "limit must be 1-\(RawReadingQuery.maxLimit)")
            }
            limit = value
        } else {
            limit = 1000
        }
    }
}
