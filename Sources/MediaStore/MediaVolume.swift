#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FarmIQCore
import NIOPosix
import _NIOFileSystem

/// The media root (`FARMIQ_MEDIA_ROOT`, the `edge-media-volume` PVC) and the steps that make a file appear there
/// only complete and durable (`contracts.md` §3): written to `.tmp/`, fsynced, then published.
///
/// Publishing uses `link(2)` rather than `rename(2)`: a link never replaces an existing file (it fails with
/// `EEXIST`), so two uploads can never overwrite each other even if they race for one name; swift-nio's file
/// system has no atomic no-replace move of an existing file (its `moveItem` checks, then renames).
public struct MediaVolume: Sendable {
    /// Absolute or relative path of the media root.
    public let root: String
    let threadPool: NIOThreadPool

    public init(root: String, threadPool: NIOThreadPool = .singleton) {
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
        self.threadPool = threadPool
    }

    /// `{root}/.tmp`: files being received; emptied by the sweep.
    public var temporaryDirectory: String { "\(root)/.tmp" }

    public func absolute(_ path: MediaPath) -> String { path.absolute(under: root) }

    /// Creates the root and `.tmp/` if missing.
    public func prepare() async throws {
        do {
            try await FileSystem.shared.createDirectory(at: FilePath(temporaryDirectory), withIntermediateDirectories: true)
        } catch let error as FileSystemError where error.code == .fileAlreadyExists {
            return
        } catch {
            throw Self.map(error, "create the media root \(root)")
        }
    }

    /// Makes the durable temporary file `temporary` appear at `path`, or at `fallback` when `path` exists:
    /// creates the missing directories (fsyncing each parent that gained one), links without replacing, fsyncs
    /// the directory. The temporary name stays (the caller removes it once the row is committed). Returns the path used.
    func publish(temporary: String, at path: MediaPath, fallback: MediaPath) async throws -> MediaPath {
        let root = self.root
        return try await threadPool.runIfActive {
            try Self.makeDirectories(root: root, relative: path.directory)
            var chosen = path
            if link(temporary, path.absolute(under: root)) != 0 {
                let error = errno
                guard error == EEXIST else { throw Self.posix(error, "link a media file into place") }
                chosen = fallback
                guard link(temporary, fallback.absolute(under: root)) == 0 else { throw Self.posix(errno, "link a media file into place") }
            }
            try Self.fsyncDirectory("\(root)/\(chosen.directory)")
            return chosen
        }
    }

    /// Deletes a published file; `true` when it existed.
    @discardableResult
    func remove(_ path: MediaPath) async -> Bool {
        await remove(absolute: absolute(path))
    }

    /// Unlinks `absolute` (a file the sweep listed under the root: a temporary file or an orphan) on the thread
    /// pool. Returns whether a file was removed.
    func remove(absolute: String) async -> Bool {
        (try? await threadPool.runIfActive { unlink(absolute) == 0 }) ?? false
    }

    // MARK: POSIX steps (run on the thread pool)

    private static func makeDirectories(root: String, relative: String) throws {
        var current = root
        for segment in relative.split(separator: "/") {
            let parent = current
            current += "/\(segment)"
            if mkdir(current, 0o750) == 0 {
                try fsyncDirectory(parent)
            } else if errno != EEXIST {
                throw posix(errno, "create the media directory \(current)")
            }
        }
    }

    private static func fsyncDirectory(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw posix(errno, "open the media directory \(path)") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw posix(errno, "fsync the media directory \(path)") }
    }

    static func posix(_ code: Int32, _ operation: String) -> EdgeError {
        if code == ENOSPC || code == EDQUOT {
            return EdgeError(.diskFull, "\(operation): the media volume is full")
        }
        return EdgeError(.internalError, "\(operation): \(String(cString: strerror(code)))")
    }

    /// File-system errors as ``FarmIQCore/EdgeError``: a full volume is `diskFull` (`507`).
    static func map(_ error: any Error, _ operation: String) -> any Error {
        if let error = error as? EdgeError { return error }
        if let error = error as? FileSystemError, let cause = error.cause as? FileSystemError.SystemCallError {
            return posix(cause.errno.rawValue, operation)
        }
        return EdgeError(.internalError, "\(operation): \(error)", cause: error)
    }
}
