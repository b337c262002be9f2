import FarmIQCore
import Foundation

/// What one POST of a batch came to, classified per `contracts.md` §4.
public enum CloudOutcome: Sendable, Equatable {
    /// `200` with a result for every event: accepted and duplicate are delivered; rejected events carry their
    /// reason (event id → reason).
    case delivered(accepted: Int, duplicates: Int, rejected: [String: String])
    /// `408`, `429`, `5xx`, a connection error, another unexpected answer: retry the whole batch.
    case retryable(reason: String, retryAfter: Duration?)
    /// The request ran out of time (no progress within the request timeout, or past its size-based deadline):
    /// retried like ``retryable(reason:retryAfter:)``; a large batch that times out again is split.
    case timedOut(reason: String)
    /// Another `4xx` (`413`, `400`, `404`, `422`, …): the cloud refuses this request's content. A batch is split
    /// in halves; an event refused alone is parked once another request proves the endpoint works. `endpoint`
    /// is set when the answer names the endpoint, not the content (`404`/`405` with an empty body): nothing is
    /// split or parked, the forwarder backs off and alerts.
    case refused(status: Int, reason: String, endpoint: Bool)
    /// `401`/`403`: credentials, not data. Stop and probe slowly.
    case unauthorized(status: Int)
}

/// Classifies cloud answers; pure, no I/O.
public enum CloudResponse {
    public static func classify(
        status: Int, retryAfter: String?, body: [UInt8], eventIDs: [String], now: Date = Date()
    ) -> CloudOutcome {
        switch status {
        case 200:
            return parseResults(body, eventIDs: eventIDs)
        case 401, 403:
            return .unauthorized(status: status)
        case 408, 429, 500...599:
            return .retryable(reason: "HTTP \(status)", retryAfter: retryAfter.flatMap { parseRetryAfter($0, now: now) })
        case 400...499:
            let text = excerpt(body)
            let endpoint = (status == 404 || status == 405) && text.isEmpty
            return .refused(status: status, reason: text.isEmpty ? "HTTP \(status)" : "HTTP \(status): \(text)", endpoint: endpoint)
        default:
            // The contract names no other status: nothing is parked for it, the batch is retried with backoff.
            return .retryable(reason: "unexpected HTTP \(status)", retryAfter: retryAfter.flatMap { parseRetryAfter($0, now: now) })
        }
    }

    /// The first 200 bytes of an answer as one line of text (control characters as spaces), trimmed.
    static func excerpt(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(200), as: UTF8.self)
        let line = String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? " " : Character($0) })
        return line.trimmingCharacters(in: .whitespaces)
    }

    /// The `results` of a `200`. A body that is not JSON, or that misses an event, is retried (nothing is lost).
    static func parseResults(_ body: [UInt8], eventIDs: [String]) -> CloudOutcome {
        guard let document = try? JSONParser.parse(body), case .array(let results)? = document["results"] else {
            return .retryable(reason: "200 without a results array", retryAfter: nil)
        }
        var statuses: [String: (String, String?)] = [:]
        statuses.reserveCapacity(results.count)
        for result in results {
            guard case .string(let id)? = result["event_id"], case .string(let status)? = result["status"] else { continue }
            var reason: String?
            if case .string(let text)? = result["reason"] { reason = text }
            statuses[id] = (status, reason)
        }
        var accepted = 0, duplicates = 0
        var rejected: [String: String] = [:]
        for id in eventIDs {
            switch statuses[id] {
            case ("accepted", _)?: accepted += 1
            case ("duplicate", _)?: duplicates += 1
            case ("rejected", let reason)?: rejected[id] = reason ?? "rejected"
            case (let other, _)?: return .retryable(reason: "unknown result status \(other.prefix(40))", retryAfter: nil)
            case nil: return .retryable(reason: "200 without a result for event \(id)", retryAfter: nil)
            }
        }
        return .delivered(accepted: accepted, duplicates: duplicates, rejected: rejected)
    }

    /// `Retry-After`: delay-seconds or an HTTP-date (RFC 9110 §10.2.3); a date in the past is zero.
    public static func parseRetryAfter(_ value: String, now: Date) -> Duration? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(text), seconds >= 0 { return .seconds(seconds) }
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) {
                let milliseconds = Int64((date.timeIntervalSince(now) * 1000).rounded(.up))
                return .milliseconds(max(0, milliseconds))
            }
        }
        return nil
    }
}
