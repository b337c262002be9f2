import FarmIQCore

/// The outbox stream's lease as this replica knows it: valid until a local instant computed from the start of
/// the last successful take/renew call (never later than the database's own `lease_until`).
final class LeaseKeeper: Sendable {
    private let state: LockedValue<(validUntil: ContinuousClock.Instant, lost: Bool)>

    init(validUntil: ContinuousClock.Instant) { state = LockedValue((validUntil, false)) }

    /// When the lease runs out unless renewed; in the past once lost. No send starts close to it
    /// (``SyncSettings/minimumLease``), so a replica whose renewals are late (a slow or unreachable database) sends
    /// nothing new until a renewal succeeds, and keeps its window, backoff and answers meanwhile.
    var validUntil: ContinuousClock.Instant { state.withLock { $0.lost ? ContinuousClock.now.advanced(by: .seconds(-1)) : $0.validUntil } }
    /// Another owner holds the lease now (a renewal found it taken): the sender must leave.
    var isLost: Bool { state.withLock { $0.lost } }

    func extend(to instant: ContinuousClock.Instant) { state.withLock { if instant > $0.validUntil { $0.validUntil = instant } } }
    func lose() { state.withLock { $0.lost = true } }
}
