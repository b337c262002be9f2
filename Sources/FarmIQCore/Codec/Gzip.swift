import CompressNIO
import NIOCore

/// gzip (RFC 1952) of sync bodies (`contracts.md` §4: `Content-Encoding: gzip`), on compress-nio.
///
/// The one gzip of the product: the forwarder compresses batches with it, `cloud-sim` inflates them with a bound.
public enum Gzip {
    /// Why a gzip body was refused.
    public enum Failure: Error, Equatable {
        /// Not valid gzip: bad header, bad data, bad checksum, or truncated before the end of a member.
        case invalid(String)
        /// The decompressed size would pass the limit (a gzip bomb, or just too large).
        case tooLarge(limit: Int)
    }

    /// One gzip member of `input` at `level` (0–9; 1, the default, is what the forwarder sends: measured fastest
    /// per byte saved on telemetry JSON).
    public static func compress(_ input: [UInt8], level: Int32 = 1) -> [UInt8] {
        var source = ByteBuffer(bytes: input)
        do {
            let compressed = try source.compress(with: .gzip(configuration: ZlibConfiguration(compressionLevel: level)))
            return Array(compressed.readableBytesView)
        } catch {
            // compress-nio deflates into a buffer of deflateBound's size: it cannot run out of room.
            preconditionFailure("gzip into a deflateBound buffer failed: \(error)")
        }
    }

    /// Inflates one or more concatenated gzip members (RFC 1952 §2.2), failing as soon as the output passes
    /// `limit` bytes and when a member ends early (compress-nio's one-shot `decompress` accepts a truncated
    /// stream, so the members are inflated here with its `ZlibDecompressor`, and the end of each is checked).
    ///
    /// - Throws: ``Failure/tooLarge(limit:)`` past `limit` bytes out; ``Failure/invalid(_:)`` for anything not gzip.
    public static func decompress(_ input: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        guard !input.isEmpty else { throw .invalid("empty gzip body") }
        var source = ByteBuffer(bytes: input)
        var output: [UInt8] = []
        output.reserveCapacity(min(limit, max(input.count * 4, 4096)))
        var window = ByteBufferAllocator().buffer(capacity: 1 << 16)
        var empty = ByteBufferAllocator().buffer(capacity: 16)
        do {
            while source.readableBytes > 0 {
                let member = try ZlibDecompressor(algorithm: .gzip)
                var ended = false
                while !ended {
                    window.clear()
                    do {
                        if source.readableBytes > 0 {
                            try member.inflate(from: &source, to: &window)
                            // A normal return with input left means the member ended; with none left it may have
                            // ended or be cut short: the probe below tells them apart.
                            ended = source.readableBytes > 0
                        } else {
                            // After its end zlib answers Z_STREAM_END again; mid-stream, Z_BUF_ERROR (no input).
                            try member.inflate(from: &empty, to: &window)
                            ended = true
                        }
                    } catch let error as CompressNIOError where error == .bufferOverflow {
                        // The window is full: take it and go on.
                    } catch let error as CompressNIOError where error == .inputBufferOverflow {
                        throw Failure.invalid("truncated gzip stream")
                    }
                    if output.count + window.readableBytes > limit { throw Failure.tooLarge(limit: limit) }
                    output.append(contentsOf: window.readableBytesView)
                }
            }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .invalid("not gzip: \(error)")
        }
        return output
    }
}
