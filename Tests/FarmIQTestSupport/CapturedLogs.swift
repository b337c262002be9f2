import FarmIQCore
import Logging

/// A logger whose lines are kept in memory, to assert what a failure line says (its `error` cause).
public final class CapturedLogs: Sendable {
    public struct Line: Sendable {
        public let level: Logger.Level
        public let message: String
        public let metadata: [String: String]
    }

    private let lines = LockedValue<[Line]>([])

    public init() {}

    /// A logger at `info` whose lines are kept here.
    public var logger: Logger {
        Logger(label: "captured") { _ in CapturingHandler(sink: self) }
    }

    public var all: [Line] { lines.withLock { $0 } }

    /// Lines at `level` or above whose `error` metadata contains `text`.
    public func failures(containing text: String, atLeast level: Logger.Level = .warning) -> [Line] {
        all.filter { $0.level >= level && ($0.metadata["error"]?.contains(text) ?? false) }
    }

    fileprivate func append(_ line: Line) { lines.withLock { $0.append(line) } }

    private struct CapturingHandler: LogHandler {
        let sink: CapturedLogs
        var logLevel: Logger.Level = .info
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var merged = metadata
            if let extra = event.metadata { merged.merge(extra) { $1 } }
            var flat = merged.mapValues { "\($0)" }
            if let error = event.error { flat["error"] = "\(error)" }
            sink.append(Line(level: event.level, message: event.message.description, metadata: flat))
        }
    }
}
