/// The two database engines the edge runs on: SQLite embedded on one box, PostgreSQL in the cluster.
public enum DatabaseEngine: String, Sendable, CaseIterable {
    case sqlite
    case postgres
}
