import Logging

/// The loop of a durable background pass over a batch of due work (session finalization, station calibration): it
/// runs `pass` until the task is cancelled, again at once while a pass handled a full `batchSize` (more is due),
/// after `interval` otherwise, and after a growing backoff (``RetryBackoff``, 0.5 s up to 30 s) when it throws,
/// logging `failure` with the error under the caller's module as its `source`.
public enum BatchPassLoop {
    /// Runs `pass`, which returns how many items it handled, as the type describes, until the task is cancelled.
    /// `fileID` gives the log `source`: its module, the part before the first `/`.
    public static func run(
        batchSize: Int, interval: Duration, logger: Logger, failure: Logger.Message, fileID: String = #fileID,
        _ pass: () async throws -> Int
    ) async {
        let source = String(fileID.prefix { $0 != "/" })
        var backoff = RetryBackoff(base: .milliseconds(500), cap: .seconds(30))
        while !Task.isCancelled {
            do {
                let handled = try await pass()
                backoff.reset()
                if handled == batchSize { continue }
                try? await Task.sleep(for: interval)
            } catch {
                let wait = backoff.next()
                logger.warning(failure, metadata: ["error": "\(error)", "retry_in": "\(wait)"], source: source)
                try? await Task.sleep(for: wait)
            }
        }
    }
}
