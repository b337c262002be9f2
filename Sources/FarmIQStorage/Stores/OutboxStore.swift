import FarmIQCore

/// Read side of `sync_outbox` for the gauges (the forwarder's reader comes later).
public protocol OutboxStore: Sendable {
    func stats(now: Timestamp) async throws -> OutboxStats
}
