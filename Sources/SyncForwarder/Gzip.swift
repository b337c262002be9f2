import CZlib
import FarmIQCore

/// gzip (RFC 1952) through the system zlib.
package enum Gzip {
    package static func compress(_ input: [UInt8], level: Int32 = 1) throws(EdgeError) -> [UInt8] {
        var stream = z_stream()
        // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
        guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw EdgeError(.internalError, "gzip: deflateInit2 failed")
        }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 32)
        var input = input
        let result: Int32 = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = source.baseAddress
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard result == Z_STREAM_END else { throw EdgeError(.internalError, "gzip: deflate returned \(result)") }
        output.removeLast(output.count - Int(stream.total_out))
        return output
    }

    /// Inflates gzip (or zlib) data, at most `limit` bytes out.
    package static func decompress(_ input: [UInt8], limit: Int = 64 << 20) throws(EdgeError) -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw EdgeError(.internalError, "gzip: inflateInit2 failed")
        }
        defer { inflateEnd(&stream) }
        var input = input
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let status: Int32 = input.withUnsafeMutableBufferPointer { source in
            stream.next_in = source.baseAddress
            stream.avail_in = uInt(source.count)
            while true {
                let (code, produced) = chunk.withUnsafeMutableBufferPointer { target in
                    stream.next_out = target.baseAddress
                    stream.avail_out = uInt(target.count)
                    let code = inflate(&stream, Z_NO_FLUSH)
                    return (code, target.count - Int(stream.avail_out))
                }
                output.append(contentsOf: chunk[0..<produced])
                if code == Z_STREAM_END { return code }
                if code != Z_OK || output.count > limit { return code == Z_OK ? Z_BUF_ERROR : code }
                if produced == 0 && stream.avail_in == 0 { return Z_DATA_ERROR }
            }
        }
        guard status == Z_STREAM_END else { throw EdgeError(.invalidRequest, "gzip: inflate failed (\(status))") }
        return output
    }
}
