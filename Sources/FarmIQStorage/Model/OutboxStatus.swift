import FarmIQCore

/// `sync_outbox.status` of migration 1. Since migration 2 the cursor says what is delivered and the column
/// stays 0; it is kept only for the SKIP LOCKED baseline of the benchmark.
public enum OutboxStatus: Int16, Sendable {
    case pending = 0
    case delivered = 1
    case dead = 2
}
