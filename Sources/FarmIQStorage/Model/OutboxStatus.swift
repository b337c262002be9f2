import FarmIQCore

/// `sync_outbox.status` of migration 1. Since migration 2 the cursor says what is delivered and the column
/// stays 0; it is kept only for the SKIP LOCKED baseline of the benchmark.
public enum OutboxStatus: Int16, Sendable {
    /// Not delivered: the value rows keep since migration 2 (only the benchmark's baseline changes it).
    case pending = 0
    /// Delivered (set only by the benchmark's SKIP LOCKED baseline).
    case delivered = 1
    /// Parked after a permanent rejection (migration 1; dead letters now live in `sync_dead_letters`).
    case dead = 2
}
