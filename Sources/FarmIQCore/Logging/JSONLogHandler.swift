#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif
import Logging

/// A `LogHandler` that writes one JSON object per line on stdout (`contracts.md` §6).
///
/// Fields: `ts` (RFC 3339 UTC), `level`, `logger`, `msg`, `source`, then the metadata with its dotted
/// keys (`event.id`, `tenant.id`). Values are escaped, so hostile strings cannot forge log lines.
public struct JSONLogHandler: LogHandler {
    /// The least severe level written.
    public var logLevel: Logger.Level
    /// Metadata of every line; provider and per-call metadata win over it on a clash.
    public var metadata: Logger.Metadata = [:]
    /// Supplies metadata at each call; wins over ``metadata``, loses to per-call metadata.
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String

    /// A handler for the logger `label` (the `logger` field), writing `logLevel` and above.
    public init(label: String, logLevel: Logger.Level = .info, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.logLevel = logLevel
        self.metadataProvider = metadataProvider
    }

    /// One entry of ``metadata``.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes ``render(event:timestamp:)`` for the current time to stdout (fd 1); `EINTR` is retried,
    /// any other write error drops the rest of the line.
    public func log(event: LogEvent) {
        let line = render(event: event, timestamp: Timestamp.now())
        // One write(2) per line: lines from concurrent tasks never interleave.
        var utf8 = Array(line.utf8)
        utf8.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = systemWrite(1, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 {
                    if written < 0 && errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }

    /// The line `log(event:)` writes: one JSON object and a trailing newline. Separate so it is testable.
    public func render(event: LogEvent, timestamp: Timestamp) -> String {
        var line = "{\"ts\":\"\(timestamp.rfc3339)\",\"level\":\"\(event.level.rawValue)\",\"logger\":"
        JSONWriter.writeString(label, into: &line)
        line += ",\"msg\":"
        JSONWriter.writeString(event.message.description, into: &line)
        line += ",\"source\":"
        JSONWriter.writeString(event.source, into: &line)
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        // The cause of a failure: the logged error, else the `error` metadata most call sites pass.
        if let error = event.error {
            line += ",\"error\":"
            JSONWriter.writeString(String(describing: error), into: &line)
        } else if let error = merged.removeValue(forKey: "error") {
            line += ",\"error\":"
            JSONLogHandler.writeValue(error, into: &line)
        }
        for key in merged.keys.sorted() {
            line += ","
            // Metadata never forges or drops a field the handler writes itself: a clashing key is kept
            // under `meta.{key}`.
            JSONWriter.writeString(JSONLogHandler.reservedKeys.contains(key) ? "meta.\(key)" : key, into: &line)
            line += ":"
            JSONLogHandler.writeValue(merged[key]!, into: &line)
        }
        line += "}\n"
        return line
    }

    /// Keys the handler writes itself; metadata cannot repeat or forge them.
    static let reservedKeys: Set<String> = ["ts", "level", "logger", "msg", "source", "error"]

    static func writeValue(_ value: Logger.MetadataValue, into line: inout String) {
        switch value {
        case .string(let text): JSONWriter.writeString(text, into: &line)
        case .stringConvertible(let convertible): JSONWriter.writeString(convertible.description, into: &line)
        case .array(let values):
            line += "["
            for (offset, element) in values.enumerated() {
                if offset > 0 { line += "," }
                writeValue(element, into: &line)
            }
            line += "]"
        case .dictionary(let dictionary):
            line += "{"
            for (offset, key) in dictionary.keys.sorted().enumerated() {
                if offset > 0 { line += "," }
                JSONWriter.writeString(key, into: &line)
                line += ":"
                writeValue(dictionary[key]!, into: &line)
            }
            line += "}"
        }
    }
}
