import AsyncHTTPClient
import FarmIQCore
import FarmIQStorage

/// A valid `weighvision.*` session event together with the bytes it came from (the HTTP sink forwards those).
public struct SessionSubmission: Sendable {
    public let event: DeviceEvent
    public let source: ReceivedMessage
}

/// Where the gateway hands weigh-session events (`contracts.md` §3a): edge-weighvision-session, in process or
/// over HTTP. `submit` returns only once the batch is committed (sessions, readings and outbox rows); it throws
/// if it was not.
public protocol SessionSink: Sendable {
    func submit(_ batch: [SessionSubmission]) async throws -> IngestCounts
}

/// All-in-one mode: straight into the session owner's store in the same process.
public struct LocalSessionSink: SessionSink {
    let store: any WeighSessionStore
    let policy: SessionPolicy

    public init(store: any WeighSessionStore, policy: SessionPolicy) {
        self.store = store
        self.policy = policy
    }

    public func submit(_ batch: [SessionSubmission]) async throws -> IngestCounts {
        try await store.ingest(batch.map(\.event), policy: policy)
    }
}

/// Cluster mode: to `serve weighvision-session` at `FARMIQ_SESSION_URL`, as the envelopes received.
public struct HTTPSessionSink: SessionSink {
    let poster: GatewayBatchPoster

    public init(client: HTTPClient, baseURL: String, token: String? = nil) {
        poster = GatewayBatchPoster(client: client, baseURL: baseURL, path: GatewayBatch.sessionPath, token: token, service: "session service")
    }

    public func submit(_ batch: [SessionSubmission]) async throws -> IngestCounts {
        try await poster.post(batch.map { GatewayBatch.Item(topic: $0.source.topic, receivedAt: $0.source.receivedAt, envelope: $0.source.payload) })
    }
}
