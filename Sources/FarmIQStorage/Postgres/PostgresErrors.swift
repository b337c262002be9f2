import FarmIQCore
import PostgresNIO

/// Maps PostgresNIO errors to ``FarmIQCore/EdgeError`` codes. Messages hold the operation, the SQLSTATE and the
/// server's message, never the connection's credentials.
enum PostgresErrors {
    static func map(_ error: any Error, _ operation: String) -> any Error {
        switch error {
        case let error as EdgeError:
            return error
        case is CancellationError:
            return error
        case let error as PostgresTransactionError:
            if let inner = error.beginError ?? error.closureError ?? error.commitError {
                return map(inner, operation)
            }
            return EdgeError(.databaseError, "\(operation): transaction failed")
        case let error as PSQLError:
            return map(error, operation)
        case _ where String(describing: type(of: error)) == "ConnectionPoolError":
            // The pool's own error (module `_ConnectionPoolModule`, not imported): no connection could be made,
            // e.g. its circuit breaker tripped after repeated connect failures.
            return EdgeError(.databaseUnavailable, "\(operation): PostgreSQL is unreachable (no pooled connection)", cause: error)
        case is ChannelError, is IOError, is NIOConnectionError:
            return EdgeError(.databaseUnavailable, "\(operation): PostgreSQL is unreachable", cause: error)
        default:
            return EdgeError(.databaseError, "\(operation): \(type(of: error))", cause: error)
        }
    }

    private static func map(_ error: PSQLError, _ operation: String) -> EdgeError {
        switch error.code {
        case .server:
            let state = error.serverInfo?[.sqlState] ?? "?????"
            let message = error.serverInfo?[.message] ?? "server error"
            let text = "\(operation): PostgreSQL error \(state): \(message)"
            switch state {
            case "23505", "40001", "40P01":
                return EdgeError(.writeConflict, text)
            case "57P01", "57P02", "57P03", "53300", "53000":
                return EdgeError(.databaseUnavailable, text)
            case "53100":
                return EdgeError(.diskFull, text)
            default:
                if state.hasPrefix("08") { return EdgeError(.databaseUnavailable, text) }
                // Data exception (22: out of range, invalid text, NUL in text), integrity (23) other than a
                // unique violation, program limit (54: a row or value too large): this data, not the database.
                if state.hasPrefix("22") || state.hasPrefix("23") || state.hasPrefix("54") { return EdgeError(.dataRejected, text) }
                return EdgeError(.databaseError, text)
            }
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed:
            let underlying = error.underlying.map { " (\(String(describing: $0).prefix(200)))" } ?? ""
            return EdgeError(.databaseUnavailable, "\(operation): PostgreSQL is unavailable: \(error.code)\(underlying)")
        case .queryCancelled:
            return EdgeError(.databaseUnavailable, "\(operation): query cancelled")
        default:
            return EdgeError(.databaseError, "\(operation): PostgreSQL client error \(error.code)")
        }
    }
}
