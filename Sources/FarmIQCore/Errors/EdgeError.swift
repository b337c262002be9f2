/// The error type of FarmIQ Edge components: a stable code, a message safe to log, and the cause.
///
/// Mapped to an HTTP status only at the HTTP edge (see `EdgeError.Code.httpStatus`).
public struct EdgeError: Error, Sendable, CustomStringConvertible {
    /// A stable error code; its text is what clients and logs see.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The code's snake_case text, e.g. `invalid_request`.
        public let rawValue: String
        /// The code of this text.
        public init(_ rawValue: String) { self.rawValue = rawValue }
        /// ``rawValue``.
        public var description: String { rawValue }

        /// A setting is malformed or out of range; at start the process stops on it (`contracts.md` §7).
        public static let invalidConfiguration = Code("invalid_configuration")
        /// A malformed or invalid request (`400`).
        public static let invalidRequest = Code("invalid_request")
        /// No such resource, or one of another tenant (`404`).
        public static let notFound = Code("not_found")
        /// The database cannot be reached or used right now; a retry may succeed (`503`).
        public static let databaseUnavailable = Code("database_unavailable")
        /// The database failed otherwise, or holds data that cannot be read (`500`).
        public static let databaseError = Code("database_error")
        /// A schema migration failed (`500`).
        public static let migrationFailed = Code("migration_failed")
        /// Another writer stored some of the same messages concurrently (a unique violation or a
        /// serialization failure): retry the whole batch; the retry finds them and counts them as duplicates.
        public static let writeConflict = Code("write_conflict")
        /// A volume is full, or the media volume is above its hard watermark (`507`).
        public static let diskFull = Code("disk_full")
        /// The database refused this data (a constraint, a value out of range, a data exception): the same
        /// write fails the same way again, unlike ``databaseUnavailable``. The ingress gateway isolates the
        /// message that causes it and records it as a reject.
        public static let dataRejected = Code("data_rejected")
        /// A service this one calls is unreachable or answered unreadably (`503`).
        public static let upstreamUnavailable = Code("upstream_unavailable")
        /// The thing to create exists already (a registered device, an idempotency key reused with other content).
        public static let conflict = Code("conflict")
        /// A bug or an unexpected state (`500`).
        public static let internalError = Code("internal_error")
        /// No credentials, or credentials nobody issued (`401`).
        public static let unauthorized = Code("unauthorized")
        /// Known credentials that may not do this (a disabled device, `403`).
        public static let forbidden = Code("forbidden")
        /// A body or a file over its limit (`413`).
        public static let payloadTooLarge = Code("payload_too_large")
        /// Content that is not of a type the endpoint takes, judged on its bytes (`415`).
        public static let unsupportedMediaType = Code("unsupported_media_type")

        /// The HTTP status a client sees for this code.
        public var httpStatus: Int {
            switch self {
            case .invalidRequest: 400
            case .unauthorized: 401
            case .forbidden: 403
            case .payloadTooLarge: 413
            case .unsupportedMediaType: 415
            case .notFound: 404
            case .conflict: 409
            case .dataRejected: 422
            case .diskFull: 507
            case .databaseUnavailable, .upstreamUnavailable: 503
            default: 500
            }
        }
    }

    /// The stable code.
    public let code: Code
    /// What went wrong, safe to log.
    public let message: String
    /// The underlying error, if any.
    public let cause: (any Error)?

    /// An error of `code` and `message`, with an optional underlying `cause`.
    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// `{code}: {message}`, then the cause's first 500 characters in parentheses.
    public var description: String {
        if let cause { return "\(code): \(message) (\(String(describing: cause).prefix(500)))" }
        return "\(code): \(message)"
    }
}
