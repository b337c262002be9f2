import FarmIQCore

/// The outbox stream's lease as this replica knows it: valid until a local instant computed from the start of
/// the last successful take/renew call (never later than the database's own `lease_until`).
final class LeaseKeeper: Sendable {
    private let state: LockedValue<(validUntil: ContinuousClock.Instant, lost: Bool)>

    init(validUntil: ContinuousClock.Instant) { state = LockedValue((validUntil, false)) }

    /// When the lease runs out unless renewed; in the past once lost.
    var validUntil: ContinuousClock.Instant { state.withLock { $0.lost ? ContinuousClock.now.advanced(by: .seconds(-1)) : $0.validUntil } }
    /// Lost to another owner, or run out: the sender must stop at once (another replica may take over).
    var isLost: Bool { state.withLock { $0.lost || ContinuousClock.now >= $0.validUntil } }

    func extend(to instant: ContinuousClock.Instant) { state.withLock { if instant > $0.validUntil { $0.validUntil = instant } } }
    func lose() { state.withLock { $0.lost = true } }
}
