import FarmIQCore

/// Which dead letters an operator acts on.
public enum DeadLetterSelection: Sendable, Hashable {
    case all
    case ids([Int64])
    case eventType(String)
}
