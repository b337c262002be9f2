import FarmIQCore

/// The faults cloud-sim injects, set at start (``CloudSimConfiguration/faults``) and changed at run time
/// (``CloudSimController`` or `POST /admin/faults`). All default to off.
///
/// They apply to `POST /api/v1/edge/events` and `PUT /api/v1/edge/media/…`, never to `/admin` or `/health`.
public struct CloudSimFaults: Sendable, Equatable {
    /// How cloud-sim behaves while down.
    public enum DownMode: String, Sendable {
        /// The listener is closed: new connections are refused (the admin API is unreachable too).
        case refuse
        /// The listener stays up and every API request gets `503` (with `Retry-After`).
        case unavailable
    }

    /// One injected failure of a single request.
    public enum Fault: String, Sendable, CaseIterable {
        /// `429 Too Many Requests` with `Retry-After: retryAfterSeconds`; nothing is processed.
        case throttle = "429"
        /// `serverErrorStatus` (default 503); nothing is processed.
        case serverError = "5xx"
        /// The batch is processed and stored, then the connection is reset (TCP RST) halfway through the response.
        case reset
        /// The connection is reset before anything is processed.
        case resetBeforeProcessing = "reset_before"
    }

    /// Down from the start for this long (start-up only; at run time use ``CloudSimController/goDown(for:mode:)``).
    public var downFor: Duration?
    public var downMode: DownMode = .refuse
    /// Added before each API request is answered.
    public var latency: Duration = .zero
    /// Fraction (0…1) of API requests answered with `serverErrorStatus`.
    public var serverErrorRate: Double = 0
    public var serverErrorStatus: Int = 503
    /// Fraction (0…1) of API requests answered `429` with `Retry-After: retryAfterSeconds`.
    public var throttleRate: Double = 0
    public var retryAfterSeconds: Int = 1
    /// Fraction (0…1) of API requests processed and then reset mid-response.
    public var resetRate: Double = 0
    /// Events of these types are answered `rejected` (reason names the fault).
    public var rejectEventTypes: Set<String> = []
    /// Explicit faults for the next requests, in order, before any rate applies (deterministic tests).
    public var failNext: [Fault] = []
    /// A proxy's body limit: a request body larger than this as sent (compressed or not) is answered `413` with
    /// a short JSON body, before anything is processed. `nil`: only ``CloudSimConfiguration/maxRequestBytes``.
    public var maxBodyBytes: Int?
    /// A batch holding any of these event ids is refused whole with `refuseStatus` (a JSON body naming the event),
    /// before anything is processed: an event the cloud can never take.
    public var refuseEventIDs: Set<String> = []
    public var refuseStatus: Int = 422
    /// A slow uplink: request bodies are read at most this fast (bytes per second). `nil`: as fast as they come.
    public var uploadBytesPerSecond: Int?

    public init() {}

    /// True when nothing is injected.
    public var isEmpty: Bool { self == CloudSimFaults() }
}

extension CloudSimFaults {
    /// Applies the members of a JSON object (all optional) onto these faults:
    /// `down_mode` (`refuse`|`unavailable`), `latency_ms`, `error_rate`, `error_status`, `throttle_rate`,
    /// `retry_after_seconds`, `reset_rate`, `reject_event_types` (array), `fail_next` (array of
    /// `"429"`, `"5xx"`, `"reset"`, `"reset_before"`), `max_body_bytes` (null: off), `refuse_event_ids` (array),
    /// `refuse_status` (400-499), `upload_bytes_per_second` (null: off), `down_for_ms` (start-up only; the admin
    /// API takes it as "down now for"). Unknown members are an error, so a typo does not silently inject nothing.
    public mutating func apply(json document: JSONValue) throws(EdgeError) {
        guard case .object(let members) = document else { throw EdgeError(.invalidRequest, "faults must be a JSON object") }
        func number(_ name: String, _ value: JSONValue, _ range: ClosedRange<Double>) throws(EdgeError) -> Double {
            guard case .number(let number) = value, range.contains(number.value) else {
                throw EdgeError(.invalidRequest, "\(name) must be a number in \(range.lowerBound)...\(range.upperBound)")
            }
            return number.value
        }
        for (name, value) in members {
            switch name {
            case "down_for_ms":
                if case .null = value { downFor = nil; continue }
                downFor = .milliseconds(Int64(try number(name, value, 0...86_400_000)))
            case "down_mode":
                guard case .string(let text) = value, let mode = DownMode(rawValue: text) else {
                    throw EdgeError(.invalidRequest, "down_mode must be refuse or unavailable")
                }
                downMode = mode
            case "latency_ms": latency = .milliseconds(Int64(try number(name, value, 0...600_000)))
            case "error_rate": serverErrorRate = try number(name, value, 0...1)
            case "error_status":
                let status = try number(name, value, 500...599)
                guard status == status.rounded() else { throw EdgeError(.invalidRequest, "error_status must be an integer 500-599") }
                serverErrorStatus = Int(status)
            case "throttle_rate": throttleRate = try number(name, value, 0...1)
            case "retry_after_seconds":
                let seconds = try number(name, value, 0...86_400)
                guard seconds == seconds.rounded() else { throw EdgeError(.invalidRequest, "retry_after_seconds must be an integer") }
                retryAfterSeconds = Int(seconds)
            case "reset_rate": resetRate = try number(name, value, 0...1)
            case "reject_event_types":
                guard case .array(let items) = value else { throw EdgeError(.invalidRequest, "reject_event_types must be an array of event types") }
                var types: Set<String> = []
                for item in items {
                    guard case .string(let type) = item, Identifier.isValidEventType(type) else {
                        throw EdgeError(.invalidRequest, "reject_event_types must be an array of event types")
                    }
                    types.insert(type)
                }
                rejectEventTypes = types
            case "fail_next":
                guard case .array(let items) = value else { throw EdgeError(.invalidRequest, "fail_next must be an array") }
                var faults: [Fault] = []
                for item in items {
                    guard case .string(let text) = item, let fault = Fault(rawValue: text) else {
                        throw EdgeError(.invalidRequest, "fail_next entries must be \"429\", \"5xx\", \"reset\" or \"reset_before\"")
                    }
                    faults.append(fault)
                }
                failNext = faults
            case "max_body_bytes":
                if case .null = value { maxBodyBytes = nil; continue }
                let bytes = try number(name, value, 1...1_073_741_824)
                guard bytes == bytes.rounded() else { throw EdgeError(.invalidRequest, "max_body_bytes must be an integer") }
                maxBodyBytes = Int(bytes)
            case "upload_bytes_per_second":
                if case .null = value { uploadBytesPerSecond = nil; continue }
                let rate = try number(name, value, 1...1_073_741_824)
                guard rate == rate.rounded() else { throw EdgeError(.invalidRequest, "upload_bytes_per_second must be an integer") }
                uploadBytesPerSecond = Int(rate)
            case "refuse_status":
                let status = try number(name, value, 400...499)
                guard status == status.rounded() else { throw EdgeError(.invalidRequest, "refuse_status must be an integer 400-499") }
                refuseStatus = Int(status)
            case "refuse_event_ids":
                guard case .array(let items) = value else { throw EdgeError(.invalidRequest, "refuse_event_ids must be an array of event ids") }
                var ids: Set<String> = []
                for item in items {
                    guard case .string(let id) = item, !id.isEmpty, id.utf8.count <= 128 else {
                        throw EdgeError(.invalidRequest, "refuse_event_ids must be an array of event ids")
                    }
                    ids.insert(id)
                }
                refuseEventIDs = ids
            default:
                throw EdgeError(.invalidRequest, "unknown fault setting \(name)")
            }
        }
    }

    /// Parses faults from JSON text (for a `--faults '{"throttle_rate":1}'` flag).
    public init(json text: String) throws(EdgeError) {
        self.init()
        do {
            try apply(json: try JSONParser.parse(text))
        } catch let error as JSONParseError {
            throw EdgeError(.invalidConfiguration, "faults are not JSON: \(error.description)")
        } catch let error as EdgeError {
            throw EdgeError(.invalidConfiguration, error.message)
        } catch {
            throw EdgeError(.invalidConfiguration, "\(error)")
        }
    }

    /// The faults as JSON (the form `GET /admin/faults` returns and `POST /admin/faults` takes).
    var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("down_mode", .string(downMode.rawValue)),
            ("latency_ms", .number(JSONNumber(Int(latency.milliseconds)))),
            ("error_rate", .number(JSONNumber(serverErrorRate))),
            ("error_status", .number(JSONNumber(serverErrorStatus))),
            ("throttle_rate", .number(JSONNumber(throttleRate))),
            ("retry_after_seconds", .number(JSONNumber(retryAfterSeconds))),
            ("reset_rate", .number(JSONNumber(resetRate))),
            ("reject_event_types", .array(rejectEventTypes.sorted().map { .string($0) })),
            ("fail_next", .array(failNext.map { .string($0.rawValue) })),
            ("max_body_bytes", maxBodyBytes.map { .number(JSONNumber($0)) } ?? .null),
            ("refuse_event_ids", .array(refuseEventIDs.sorted().map { .string($0) })),
            ("refuse_status", .number(JSONNumber(refuseStatus))),
            ("upload_bytes_per_second", uploadBytesPerSecond.map { .number(JSONNumber($0)) } ?? .null),
        ]
        if let downFor { members.insert(("down_for_ms", .number(JSONNumber(Int(downFor.milliseconds)))), at: 0) }
        return .object(members)
    }
}
