import FarmIQCore

/// The key of a message for idempotency.
struct MessageKey: Hashable, Sendable {
    var tenantID: String
    var eventID: String
}
