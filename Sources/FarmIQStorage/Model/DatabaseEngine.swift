/// The two database engines the edge runs on: SQLite embedded on one box, PostgreSQL in the cluster.
public enum DatabaseEngine: String, Sendable, CaseIterable {
    /// SQLite: one file on the box (`sqlite://` URL).
    case sqlite
    /// PostgreSQL: the cluster's server (`postgres://` URL).
    case postgres
}
