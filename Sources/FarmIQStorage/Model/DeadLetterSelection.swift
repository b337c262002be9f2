import FarmIQCore

/// Which dead letters an operator acts on.
public enum DeadLetterSelection: Sendable, Hashable {
    /// Every dead letter.
    case all
    /// The dead letters with these ``DeadLetter/id``s; ids that are not parked are skipped.
    case ids([Int64])
    /// The dead letters of one `event_type`.
    case eventType(String)
}
