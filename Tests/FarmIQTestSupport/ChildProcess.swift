#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A process the tests start (the edge binary, its CLI, a broker), spawned with `posix_spawn` and reaped with
/// `waitpid(pid, WNOHANG)`; waiting is an async poll that never blocks a thread.
///
/// Why not `Foundation.Process` (a measured hang, not a preference): on Linux it detects a child's exit through
/// a socket pair whose child end is inherited without close-on-exec, and its `waitUntilExit()` blocks the calling
/// thread. A child spawned by another test in the same instant can inherit that socket, so the first child's
/// exit is not seen until the second exits; two such waits on the 2-thread cooperative pool of a 2-core machine
/// stopped every test in the process (a CI run idle until its time limit). Here the child gets only stdin
/// (`/dev/null`), stdout and stderr (the output file), every other descriptor closed at spawn
/// (`posix_spawn_file_actions_addclosefrom_np`), default signal dispositions and an empty signal mask (the test
/// runner blocks SIGTERM in its threads, and a spawned child would otherwise inherit that).
public final class ChildProcess: Sendable {
    /// How a child ended.
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)

        public var description: String {
            switch self {
            case .exited(let status): "exit status \(status)"
            case .signalled(let signal): "signal \(signal)"
            }
        }
    }

    public struct SpawnError: Error, CustomStringConvertible {
        public let description: String
    }

    public let pid: pid_t
    private let termination = Mutex<Termination?>(nil)

    /// Starts `executable` with `arguments`. `environment` nil inherits this process's; `outputPath` receives
    /// stdout and stderr (appended; nil discards them).
    public init(executable: String, arguments: [String], environment: [String: String]? = nil, outputPath: String? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        Self.closeInheritedDescriptors(&actions)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let variables = environment.map { $0.map { "\($0.key)=\($0.value)" } }
        let envp: [UnsafeMutablePointer<CChar>?]? = variables.map { $0.map { strdup($0) } + [nil] }
        defer { envp?.forEach { free($0) } }

        var pid = pid_t()
        let result = argv.withUnsafeBufferPointer { argvBuffer in
            if let envp {
                return envp.withUnsafeBufferPointer { posix_spawn(&pid, executable, &actions, &attributes, argvBuffer.baseAddress!, $0.baseAddress!) }
            }
            return posix_spawn(&pid, executable, &actions, &attributes, argvBuffer.baseAddress!, environ)
        }
        guard result == 0 else {
            throw SpawnError(description: "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        self.pid = pid
    }

    /// Closes every descriptor from 3 up in the child, at spawn time. glibc (2.34+) has
    /// `posix_spawn_file_actions_addclosefrom_np`, which the Glibc module does not import; it is looked up by
    /// name. Without it, each descriptor open now is closed (a descriptor opened by another thread in the
    /// meantime can still leak, which is the old behaviour).
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
            return
        }
        guard let directory = opendir("/proc/self/fd") else { return }
        defer { closedir(directory) }
        let own = dirfd(directory)
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let descriptor = Int32(name), descriptor > 2, descriptor != own {
                posix_spawn_file_actions_addclose(&actions, descriptor)
            }
        }
    }

    /// Sends `signal` unless the child was already reaped (its PID may belong to another process by then).
    public func send(_ signal: Int32) {
        termination.withLock { ended in
            if ended == nil { _ = kill(pid, signal) }
        }
    }

    /// How the child ended, or nil while it runs (reaps it when it has ended).
    public var ended: Termination? {
        termination.withLock { ended in
            if let ended { return ended }
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            guard reaped == pid else { return nil }
            let signal = status & 0x7f
            ended = signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
            return ended
        }
    }

    public var isRunning: Bool { ended == nil }

    /// Waits (polling every 20 ms, never blocking a thread) until the child ends or `timeout` passes;
    /// nil on timeout.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(120)) async -> Termination? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let ended { return ended }
            guard ContinuousClock.now < deadline else { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// SIGKILL, then waits until the child is reaped.
    public func kill9() async {
        send(SIGKILL)
        await waitForExit(timeout: .seconds(600))
    }
}

/// A short-lived command (the CLI, `mosquitto_pub`, a script, `pg_ctlcluster`): its exit status and its output
/// (stdout and stderr, through a file: no pipe a concurrently spawned process could hold open).
public enum TestCommand {
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, timeout: Duration = .seconds(300)
    ) async throws -> (status: Int32, output: String) {
        let outputPath = (getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp") + "/farmiq-command-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).out"
        defer { unlink(outputPath) }
        let child = try ChildProcess(executable: executable, arguments: arguments, environment: environment, outputPath: outputPath)
        guard let termination = await child.waitForExit(timeout: timeout) else {
            await child.kill9()
            throw ChildProcess.SpawnError(description: "\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout)")
        }
        let output = (try? readAll(outputPath)) ?? ""
        switch termination {
        case .exited(let status): return (status, output)
        case .signalled(let signal): return (128 + signal, output)
        }
    }

    private static func readAll(_ path: String) throws -> String {
        guard let file = fopen(path, "r") else { return "" }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Runs `command` with `/bin/sh -c`, its output discarded; throws unless it exits 0.
    public static func shell(_ command: String) async throws {
        let (status, output) = try await run("/bin/sh", ["-c", command])
        guard status == 0 else {
            throw ChildProcess.SpawnError(description: "command failed (\(status)): \(command)\n\(output)")
        }
    }
}
