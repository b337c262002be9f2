import Crypto
import FarmIQCore
import NIOCore
import _NIOFileSystem

/// An image being received: a new file under `{media_root}/.tmp/`, written through swift-nio's file system
/// (buffered, off the event loops), hashed (SHA-256, swift-crypto) as it is written.
///
/// ``commit()`` flushes, fsyncs and closes it; ``discard()`` closes and deletes it. A crash leaves the file in
/// `.tmp/`, where the sweep of ``MediaSweeper`` removes it.
final class MediaTempFile {
    /// Absolute path.
    let path: String
    private let handle: WriteFileHandle
    private var writer: BufferedWriter<WriteFileHandle>
    private var hasher = SHA256()
    private(set) var size = 0
    private var closed = false

    private init(path: String, handle: WriteFileHandle) {
        self.path = path
        self.handle = handle
        self.writer = handle.bufferedWriter(capacity: .kibibytes(256))
    }

    /// A new name in `directory`: `{random}.part`.
    static func newPath(in directory: String) -> String {
        "\(directory)/\(EventID.v7()).part"
    }

    /// Creates the file at `path` (never an existing file).
    static func create(at path: String) async throws -> MediaTempFile {
        let options = OpenOptions.Write(existingFile: .none, newFile: .init(permissions: [.ownerReadWrite, .groupRead], transactionalCreation: false))
        do {
            let handle = try await FileSystem.shared.openFile(forWritingAt: FilePath(path), options: options)
            return MediaTempFile(path: path, handle: handle)
        } catch {
            throw MediaVolume.map(error, "create a temporary media file")
        }
    }

    func write(_ buffer: ByteBuffer) async throws {
        buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        size += buffer.readableBytes
        do {
            _ = try await writer.write(contentsOf: buffer)
        } catch {
            throw MediaVolume.map(error, "write a media file")
        }
    }

    /// Lower-case hex SHA-256 of what was written.
    var sha256: String {
        hasher.finalize().map { byte in
            let hex = Array("0123456789abcdef".utf8)
            return String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]], as: UTF8.self)
        }.joined()
    }

    /// Flushes, fsyncs and closes: the bytes are durable under ``path``.
    func commit() async throws {
        do {
            try await writer.flush()
            try await handle.synchronize()
            closed = true
            try await handle.close()
        } catch {
            throw MediaVolume.map(error, "fsync a media file")
        }
    }

    /// Closes (if open) and deletes the file; never throws.
    func discard() async {
        if !closed {
            closed = true
            try? await handle.close()
        }
        _ = try? await FileSystem.shared.removeItem(at: FilePath(path))
    }
}
