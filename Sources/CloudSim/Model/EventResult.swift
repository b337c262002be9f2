import FarmIQCore

/// The outcome of one event of a batch, as the contract's response lists it.
struct EventResult: Sendable, Equatable {
    enum Status: String, Sendable {
        case accepted, duplicate, rejected
    }

    let eventID: String
    let status: Status
    let reason: String?

    /// `{"results":[{"event_id":…,"status":…,"reason":…}, …]}`
    static func responseBody(_ results: [EventResult]) -> [UInt8] {
        var text = "{\"results\":["
        text.reserveCapacity(32 + results.count * 72)
        for (offset, result) in results.enumerated() {
            if offset > 0 { text += "," }
            text += "{\"event_id\":"
            JSONWriter.writeString(result.eventID, into: &text)
            text += ",\"status\":\""
            text += result.status.rawValue
            text += "\""
            if let reason = result.reason {
                text += ",\"reason\":"
                JSONWriter.writeString(reason, into: &text)
            }
            text += "}"
        }
        text += "]}"
        return Array(text.utf8)
    }
}
