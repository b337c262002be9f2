/// The error type of FarmIQ Edge components: a stable code, a message safe to log, and the cause.
///
/// Mapped to an HTTP status only at the HTTP edge (see `EdgeError.Code.httpStatus`).
public struct EdgeError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let invalidConfiguration = Code("invalid_configuration")
        public static let invalidRequest = Code("invalid_request")
        public static let notFound = Code("not_found")
        public static let databaseUnavailable = Code("database_unavailable")
        public static let databaseError = Code("database_error")
        public static let migrationFailed = Code("migration_failed")
        public static let diskFull = Code("disk_full")
        /// The database refused this data (a constraint, a value out of range, a data exception): the same
        /// write fails the same way again, unlike ``databaseUnavailable``. The ingress gateway isolates the
        /// message that causes it and records it as a reject.
        public static let dataRejected = Code("data_rejected")
        public static let upstreamUnavailable = Code("upstream_unavailable")
        /// The thing to create exists already (a registered device, an idempotency key reused with other content).
        public static let conflict = Code("conflict")
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

    public let code: Code
    public let message: String
    public let cause: (any Error)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        if let cause { return "\(code): \(message) (\(String(describing: cause).prefix(500)))" }
        return "\(code): \(message)"
    }
}
