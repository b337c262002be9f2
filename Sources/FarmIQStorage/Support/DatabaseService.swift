/// A long-running component with one `run()`, shaped like ServiceLifecycle's `Service` without depending on it:
/// the app makes it a `Service` with `extension EdgeDatabase: Service {}`.
public protocol DatabaseService: Sendable {
    func run() async throws
}
