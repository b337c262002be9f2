import CZlib

/// gzip (RFC 1952) through the system zlib: bounded decompression of request bodies, compression of responses.
enum Gzip {
    enum Failure: Error, Equatable {
        /// The stream is not valid gzip (bad header, bad data, bad checksum, truncated).
        case invalid(String)
        /// The decompressed size would exceed the limit (a gzip bomb, or just too large).
        case tooLarge(limit: Int)
    }

    private static let chunkSize = 256 * 1024

    /// Decompresses one or more concatenated gzip members, failing as soon as the output passes `limit` bytes.
    static func decompress(_ input: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        guard !input.isEmpty else { throw .invalid("empty gzip body") }
        guard input.count <= Int(UInt32.max) else { throw .tooLarge(limit: limit) }
        var stream = z_stream()
        guard czlib_inflate_init_gzip(&stream) == Z_OK else { throw .invalid("zlib inflateInit2 failed") }
        defer { inflateEnd(&stream) }

        var output: [UInt8] = []
        output.reserveCapacity(min(limit, max(input.count * 4, 4096)))
        var scratch = [UInt8](repeating: 0, count: chunkSize)
        let result: Result<Void, Failure> = input.withUnsafeBufferPointer { inputBuffer in
            stream.next_in = UnsafeMutablePointer(mutating: inputBuffer.baseAddress!)
            stream.avail_in = UInt32(inputBuffer.count)
            return scratch.withUnsafeMutableBufferPointer { scratchBuffer in
                while true {
                    stream.next_out = scratchBuffer.baseAddress!
                    stream.avail_out = UInt32(scratchBuffer.count)
                    let rc = inflate(&stream, Z_NO_FLUSH)
                    let produced = scratchBuffer.count - Int(stream.avail_out)
                    if output.count + produced > limit { return .failure(.tooLarge(limit: limit)) }
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: scratchBuffer[0..<produced]))
                    switch rc {
                    case Z_OK:
                        continue
                    case Z_STREAM_END:
                        // Another gzip member may follow (concatenated members are valid gzip).
                        if stream.avail_in == 0 { return .success(()) }
                        guard inflateReset(&stream) == Z_OK else { return .failure(.invalid("zlib inflateReset failed")) }
                    case Z_BUF_ERROR:
                        // No progress possible: the input ended before the stream did.
                        if stream.avail_in == 0 { return .failure(.invalid("truncated gzip stream")) }
                        continue
                    default:
                        let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
                        return .failure(.invalid(message))
                    }
                }
            }
        }
        try result.get()
        return output
    }

    /// Compresses `input` into one gzip member.
    static func compress(_ input: [UInt8], level: Int32 = 6) -> [UInt8] {
        var stream = z_stream()
        guard czlib_deflate_init_gzip(&stream, level) == Z_OK else { preconditionFailure("zlib deflateInit2 failed") }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, UInt(input.count)))
        var output = [UInt8](repeating: 0, count: bound)
        // zlib wants a non-null next_in even for empty input.
        let source = input.isEmpty ? [0] : input
        let written: Int = source.withUnsafeBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                stream.next_in = UnsafeMutablePointer(mutating: inputBuffer.baseAddress!)
                stream.avail_in = UInt32(input.count)
                stream.next_out = outputBuffer.baseAddress!
                stream.avail_out = UInt32(outputBuffer.count)
                let rc = deflate(&stream, Z_FINISH)
                precondition(rc == Z_STREAM_END, "deflate into a deflateBound buffer must finish")
                return outputBuffer.count - Int(stream.avail_out)
            }
        }
        output.removeSubrange(written...)
        return output
    }
}
