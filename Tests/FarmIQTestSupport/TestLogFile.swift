import FarmIQCore
import Foundation
import Logging

/// Where the tests' expected log output goes: one file per test process under `FARMIQ_TEST_LOG_DIR`
/// (scripts/test sets `.build/test-logs`), so a passing run's terminal shows test results only and a
/// failure stands out. Lines are the product's JSON lines.
public enum TestLogFile {
    /// The file of this process, created on first use.
    public static let path: String = {
        let directory = ProcessInfo.processInfo.environment["FARMIQ_TEST_LOG_DIR"] ?? NSTemporaryDirectory() + "farmiq-test-logs"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = "\(directory)/tests-\(ProcessInfo.processInfo.processIdentifier).log"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        return path
    }()

    private static let handle = LockedValue<FileHandle?>(FileHandle(forWritingAtPath: path))

    /// A logger at `level` writing to ``path``.
    public static func logger(_ label: String, level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: label) { label in FileLogHandler(label: label) }
        logger.logLevel = level
        return logger
    }

    fileprivate static func write(_ line: String) {
        handle.withLock { $0?.write(Data(line.utf8)) }
    }

    private struct FileLogHandler: LogHandler {
        var inner: JSONLogHandler
        init(label: String) { inner = JSONLogHandler(label: label) }

        var logLevel: Logger.Level {
            get { inner.logLevel }
            set { inner.logLevel = newValue }
        }
        var metadata: Logger.Metadata {
            get { inner.metadata }
            set { inner.metadata = newValue }
        }
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { inner[metadataKey: key] }
            set { inner[metadataKey: key] = newValue }
        }

        func log(event: LogEvent) {
            TestLogFile.write(inner.render(event: event, timestamp: .now()))
        }
    }
}
