import Synchronization

/// Runs `body`; if it has not finished after `after`, prints `STILL WAITING: {label}` (and again every `after`), so
/// a test that waits for ever says on what. The output goes to the test log that `scripts/test` shows.
public func watched<T>(_ label: @autoclosure () -> String, after: Duration = .seconds(60), _ body: () async throws -> T) async rethrows -> T {
    let name = label()
    let finished = Mutex(false)
    let watcher = Task.detached {
        var waited = Duration.zero
        while true {
            do { try await Task.sleep(for: after) } catch { return }
            waited += after
            if finished.withLock({ $0 }) { return }
            print("STILL WAITING after \(waited): \(name)")
        }
    }
    defer {
        finished.withLock { $0 = true }
        watcher.cancel()
    }
    return try await body()
}
