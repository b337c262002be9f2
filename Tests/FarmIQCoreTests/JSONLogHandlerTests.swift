import Logging
import Testing
@testable import FarmIQCore

@Suite("JSONLogHandler")
struct JSONLogHandlerTests {
    struct Failure: Error, CustomStringConvertible {
        var description: String { "disk \"full\"\nsecond line" }
    }

    static let at = Timestamp(millisecondsSinceEpoch: 1_795_927_722_123)

    private func event(
        _ message: Logger.Message, level: Logger.Level = .info, metadata: Logger.Metadata? = nil, error: (any Error)? = nil
    ) -> LogEvent {
        LogEvent(level: level, message: message, error: error, metadata: metadata, source: "FarmIQCore", file: "FarmIQCore/X.swift", function: "f()", line: 1)
    }

    /// Checks the line is exactly one JSON object plus a newline, and returns the object.
    private func parseLine(_ line: String) throws -> JSONValue {
        #expect(line.hasSuffix("\n"))
        let body = line.dropLast()
        #expect(!body.contains("\n"))
        #expect(!body.contains("\r"))
        let value = try JSONParser.parse(String(body))
        #expect(value.isObject)
        return value
    }

    @Test("a line has ts, level, logger, msg, source")
    func basic() throws {
        let handler = JSONLogHandler(label: "farmiq.ingress")
        let line = handler.render(event: event("gateway started"), timestamp: JSONLogHandlerTests.at)
        let value = try parseLine(line)
        #expect(value["ts"] == .string("2026-11-29T04:48:42.123Z"))
        #expect(value["level"] == .string("info"))
        #expect(value["logger"] == .string("farmiq.ingress"))
        #expect(value["msg"] == .string("gateway started"))
        #expect(value["source"] == .string("FarmIQCore"))
        #expect(line.hasPrefix(#"{"ts":"2026-11-29T04:48:42.123Z","level":"info","logger":"farmiq.ingress","msg":"gateway started""#))
    }

    @Test("hostile messages, labels, keys and values cannot break or forge the line")
    func hostile() throws {
        let hostile = "x\"}\n{\"level\":\"critical\",\"msg\":\"forged\u{0}\\"
        let handler = JSONLogHandler(label: hostile)
        let line = handler.render(
            event: event("\(hostile)", level: .error, metadata: [hostile: .string(hostile), "msg": "forged", "level": "critical", "ts": "0", "source": "x", "error": "y"],
                error: Failure()),
            timestamp: JSONLogHandlerTests.at)
        let value = try parseLine(line)
        guard case .object(let members) = value else { return }
        // Reserved keys appear once each, with the handler's own values.
        for key in ["ts", "level", "logger", "msg", "source", "error"] {
            #expect(members.filter { $0.0 == key }.count == 1, "\(key) appears more than once")
        }
        #expect(value["level"] == .string("error"))
        #expect(value["msg"] == .string(hostile))
        #expect(value["logger"] == .string(hostile))
        #expect(value["error"] == .string("disk \"full\"\nsecond line"))
        #expect(value[hostile] == .string(hostile))
    }

    @Test("the cause passed as `error` metadata reaches the line; clashing keys are kept under meta.")
    func errorMetadataKept() throws {
        let line = JSONLogHandler(label: "l").render(
            event: event("batch commit failed", level: .warning, metadata: ["error": "NOT NULL constraint failed: telemetry_agg.sum", "msg": "m2"]),
            timestamp: JSONLogHandlerTests.at)
        let value = try parseLine(line)
        #expect(value["error"] == .string("NOT NULL constraint failed: telemetry_agg.sum"))
        #expect(value["msg"] == .string("batch commit failed"))
        #expect(value["meta.msg"] == .string("m2"))
    }

    @Test("metadata of every kind: handler, provider and event metadata merged, event wins")
    func metadata() throws {
        var handler = JSONLogHandler(
            label: "l", logLevel: .debug,
            metadataProvider: Logger.MetadataProvider { ["trace.id": "abc", "shared": "provider"] })
        handler.metadata = ["tenant.id": "t1", "shared": "handler"]
        handler[metadataKey: "farm.id"] = "f1"
        #expect(handler[metadataKey: "farm.id"] == "f1")
        #expect(handler.logLevel == .debug)
        let line = handler.render(
            event: event("m", level: .debug, metadata: [
                "shared": "event",
                "count": .stringConvertible(42),
                "list": .array(["a", .dictionary(["k": "v"])]),
                "dict": .dictionary(["z": "1", "a": .array([])]),
            ]),
            timestamp: JSONLogHandlerTests.at)
        let value = try parseLine(line)
        #expect(value["tenant.id"] == .string("t1"))
        #expect(value["farm.id"] == .string("f1"))
        #expect(value["trace.id"] == .string("abc"))
        #expect(value["shared"] == .string("event"))
        #expect(value["count"] == .string("42"))
        #expect(value["list"] == .array([.string("a"), .object([("k", .string("v"))])]))
        #expect(value["dict"] == .object([("a", .array([])), ("z", .string("1"))]))
        #expect(value["level"] == .string("debug"))
    }

    @Test("every level renders as its name", arguments: Logger.Level.allCases)
    func levels(_ level: Logger.Level) throws {
        let value = try parseLine(JSONLogHandler(label: "l").render(event: event("m", level: level), timestamp: JSONLogHandlerTests.at))
        #expect(value["level"] == .string(level.rawValue))
    }
}
