/// Where the edge database lives: `sqlite://PATH` (embedded default) or `postgres://user:pass@host:port/db`.
public enum DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    /// `sqlite://PATH`: the SQLite file at `path`, as written after the scheme.
    case sqlite(path: String)
    /// `postgres://` or `postgresql://`: a PostgreSQL server.
    case postgres(PostgresLocation)

    /// The parts of a `postgres://` URL; user name and password percent-decoded.
    public struct PostgresLocation: Sendable, Equatable {
        /// Host name or address.
        public var host: String
        /// TCP port, 1–65535; 5432 when the URL has none.
        public var port: Int
        /// Percent-decoded; `postgres` when the URL has no user.
        public var username: String
        /// Percent-decoded; `nil` when the URL has none.
        public var password: String?
        /// The database name, the URL path after the host.
        public var database: String
        /// TLS, with the server's certificate and host name verified, for `sslmode` `require`, `verify-ca` or
        /// `verify-full`; plain TCP (loopback or a trusted cluster network) for no `sslmode`, `disable`, `allow` or
        /// `prefer` (no opportunistic TLS: ask for it with `require`). Stricter than libpq, whose `require` and
        /// `verify-ca` skip the host name check. Any other value is refused (``DatabaseURL/init(parsing:)``).
        public var requireTLS: Bool

        /// A location of given parts (not checked).
        public init(host: String, port: Int, username: String, password: String?, database: String, requireTLS: Bool) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.database = database
            self.requireTLS = requireTLS
        }
    }

    /// The default of `FARMIQ_DATABASE_URL` (`contracts.md` §7).
    public static let defaultValue = "sqlite://./data/edge.sqlite"

    /// Parses the URL; the error names what is wrong without echoing a password.
    public init(parsing text: String) throws(EdgeError) {
        if text.hasPrefix("sqlite://") {
            let path = String(text.dropFirst("sqlite://".count))
            guard !path.isEmpty, !path.contains("\0") else {
                throw EdgeError(.invalidConfiguration, "FARMIQ_DATABASE_URL: sqlite:// needs a file path")
            }
            self = .sqlite(path: path)
            return
        }
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") else {
            throw EdgeError(.invalidConfiguration, "FARMIQ_DATABASE_URL must start with sqlite:// or postgres://")
        }
        var rest = Substring(text.drop(while: { $0 != "/" }).dropFirst(2))
        var query = ""
        if let q = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: q)...])
            rest = rest[..<q]
        }
        guard let slash = rest.firstIndex(of: "/") else {
            throw EdgeError(.invalidConfiguration, "FARMIQ_DATABASE_URL: postgres URL needs a database name (postgres://user:pass@host:5432/db)")
        }
        let authority = rest[..<slash]
        let database = String(rest[rest.index(after: slash)...])
        var userInfo: Substring = ""
        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            userInfo = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
        }
        var username = "postgres"
        var password: String?
        if !userInfo.isEmpty {
            if let colon = userInfo.firstIndex(of: ":") {
                username = DatabaseURL.percentDecode(userInfo[..<colon])
                password = DatabaseURL.percentDecode(userInfo[userInfo.index(after: colon)...])
            } else {
                username = DatabaseURL.percentDecode(userInfo)
            }
        }
        var host = String(hostPort)
        var port = 5432
        if let colon = hostPort.lastIndex(of: ":") {
            host = String(hostPort[..<colon])
            guard let parsed = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(parsed) else {
                throw EdgeError(.invalidConfiguration, "FARMIQ_DATABASE_URL: port must be 1-65535")
            }
            port = parsed
        }
        guard !host.isEmpty, !database.isEmpty else {
            throw EdgeError(.invalidConfiguration, "FARMIQ_DATABASE_URL: postgres URL needs a host and a database")
        }
        var requireTLS = false
        for parameter in query.split(separator: "&") where parameter.hasPrefix("sslmode=") {
            // A mode read as "no TLS" by mistake would send the password in clear: unknown modes are refused.
            switch parameter.dropFirst("sslmode=".count) {
            case "disable", "allow", "prefer": requireTLS = false
            case "require", "verify-ca", "verify-full": requireTLS = true
            default:
                throw EdgeError(.invalidConfiguration,
                    "FARMIQ_DATABASE_URL: sslmode must be disable, allow, prefer, require, verify-ca or verify-full")
            }
        }
        self = .postgres(PostgresLocation(host: host, port: port, username: username, password: password, database: database, requireTLS: requireTLS))
    }

    /// The URL without its password, for logs.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite://\(path)"
        case .postgres(let location): "postgres://\(location.username)@\(location.host):\(location.port)/\(location.database)"
        }
    }

    static func percentDecode(_ text: Substring) -> String {
        // A `%` not followed by two hex digits is kept literally (it used to swallow the next two bytes).
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        let input = Array(text.utf8)
        var bytes: [UInt8] = []
        var i = 0
        while i < input.count {
            if input[i] == UInt8(ascii: "%"), i + 2 < input.count, let h = hex(input[i + 1]), let l = hex(input[i + 2]) {
                bytes.append(h << 4 | l)
                i += 3
            } else {
                bytes.append(input[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
