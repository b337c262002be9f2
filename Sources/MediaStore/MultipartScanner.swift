import Glibc
import NIOCore

/// The streaming `multipart/form-data` state machine of media uploads (RFC 2046 §5.1.1, RFC 7578): fed the body in
/// chunks of any size, it reports part headers, body bytes (as slices of the chunk it was given, never copied) and
/// part ends; it keeps at most one delimiter's length of body bytes, or one header line, between calls.
///
/// Why not multipart-kit's `MultipartParser` (what the media store used first): it walks the body a byte at a time
/// and allocates a buffer at each CR byte of the image; on a 200 KB upload that was 2.4 ms of CPU, a third of it in
/// the parser and the retain/release under it (perf, README "Media upload"). Here the delimiter is found with
/// `memchr` for its first byte and a compare of the rest; the measurement is in the README.
///
/// Rules: the preamble (before the first delimiter) and the epilogue (after the close delimiter) are ignored; a
/// delimiter line may carry transport padding (spaces, tabs) before its CRLF; a header line is `name: value`
/// ending in CRLF (a bare LF is accepted), at most `maxLineBytes` long.
struct MultipartScanner {
    /// What the scanner found, in body order.
    enum Event {
        /// A header line of the current part: the name as sent, the value without surrounding spaces and tabs.
        case header(name: String, value: String)
        /// Bytes of the current part's content: a slice of the chunk passed to ``feed(_:_:)``.
        case body(ByteBuffer)
        /// The current part ended (its closing delimiter was read).
        case partComplete
    }

    /// Why a body is not `multipart/form-data`.
    enum Failure: Error, Equatable {
        /// A header line without a colon, or with an empty name.
        case malformedHeader
        /// A header line longer than `maxLineBytes`.
        case headerLineTooLong
        /// A delimiter followed by something other than `--`, padding and CRLF.
        case malformedDelimiter
    }

    private enum State {
        /// Before the first delimiter.
        case preamble
        /// Just after a delimiter: `--` (the close delimiter) or padding and CRLF follow.
        case delimiterLine(sawDash: Bool)
        /// Reading a part's header lines.
        case headers
        /// Reading a part's content.
        case content
        /// After the close delimiter.
        case epilogue
    }

    /// `CRLF--boundary`: what ends every part (and, with a virtual CRLF before the body, starts the first).
    private let delimiter: [UInt8]
    private let maxLineBytes: Int
    private var state = State.preamble
    /// Bytes held over from the previous chunk: a possible start of the delimiter (preamble, content), or the
    /// header line read so far (headers). Starts with the virtual CRLF that lets a body begin with `--boundary`.
    private var carry: [UInt8] = [0x0D, 0x0A]

    /// True once the close delimiter has been read: the body is complete.
    var isComplete: Bool {
        if case .epilogue = state { return true }
        return false
    }

    /// `boundary`: the `boundary` parameter of the `Content-Type` (1–70 characters, checked by the caller).
    init(boundary: String, maxLineBytes: Int) {
        self.delimiter = Array("\r\n--\(boundary)".utf8)
        self.maxLineBytes = maxLineBytes
    }

    /// Scans `chunk`, calling `handle` for each event in order.
    ///
    /// - Throws: ``Failure`` at the first byte that breaks the rules; the scanner must not be fed again after.
    mutating func feed(_ chunk: ByteBuffer, _ handle: (Event) -> Void) throws(Failure) {
        if !carry.isEmpty, !isHeaderState {
            // A possible start of the delimiter was held over (rare: the chunk ended in CR, CR LF, CR LF -, …):
            // scan it together with the new bytes.
            var joined = ByteBufferAllocator().buffer(capacity: carry.count + chunk.readableBytes)
            joined.writeBytes(carry)
            var chunk = chunk
            joined.writeBuffer(&chunk)
            carry.removeAll(keepingCapacity: true)
            try scan(joined, handle)
        } else {
            try scan(chunk, handle)
        }
    }

    private var isHeaderState: Bool {
        if case .headers = state { return true }
        return false
    }

    private mutating func scan(_ buffer: ByteBuffer, _ handle: (Event) -> Void) throws(Failure) {
        var buffer = buffer
        while buffer.readableBytes > 0 {
            switch state {
            case .epilogue:
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            case .preamble, .content:
                let inContent = if case .content = state { true } else { false }
                if let at = findDelimiter(in: buffer) {
                    if inContent, at > 0 { handle(.body(buffer.getSlice(at: buffer.readerIndex, length: at)!)) }
                    if inContent { handle(.partComplete) }
                    buffer.moveReaderIndex(forwardBy: at + delimiter.count)
                    state = .delimiterLine(sawDash: false)
                } else {
                    // Hold back a tail that could start the delimiter; the rest is content (or ignored preamble).
                    let held = heldTail(of: buffer)
                    let decided = buffer.readableBytes - held
                    if inContent, decided > 0 { handle(.body(buffer.getSlice(at: buffer.readerIndex, length: decided)!)) }
                    buffer.moveReaderIndex(forwardBy: decided)
                    carry.append(contentsOf: buffer.readableBytesView)
                    return
                }
            case .delimiterLine(let sawDash):
                let byte = buffer.readInteger(as: UInt8.self)!
                if sawDash {
                    guard byte == UInt8(ascii: "-") else { throw .malformedDelimiter }
                    state = .epilogue
                } else if byte == UInt8(ascii: "-") {
                    state = .delimiterLine(sawDash: true)
                } else if byte == 0x0A {
                    state = .headers
                } else if byte != 0x20, byte != 0x09, byte != 0x0D {
                    throw .malformedDelimiter
                }
            case .headers:
                guard let newline = buffer.readableBytesView.firstIndex(of: 0x0A) else {
                    carry.append(contentsOf: buffer.readableBytesView)
                    buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                    if carry.count > maxLineBytes { throw .headerLineTooLong }
                    continue
                }
                carry.append(contentsOf: buffer.readableBytesView[buffer.readerIndex..<newline])
                buffer.moveReaderIndex(to: newline + 1)
                if carry.count > maxLineBytes { throw .headerLineTooLong }
                if carry.last == 0x0D { carry.removeLast() }
                if carry.isEmpty {
                    state = .content
                } else {
                    try emitHeader(handle)
                }
                carry.removeAll(keepingCapacity: true)
            }
        }
    }

    /// The offset of the first complete delimiter in `buffer`'s readable bytes.
    private func findDelimiter(in buffer: ByteBuffer) -> Int? {
        buffer.withUnsafeReadableBytes { bytes -> Int? in
            guard let base = bytes.baseAddress, bytes.count >= delimiter.count else { return nil }
            var offset = 0
            let last = bytes.count - delimiter.count
            return delimiter.withUnsafeBytes { pattern -> Int? in
                while offset <= last {
                    guard let hit = memchr(base + offset, 0x0D, last - offset + 1) else { return nil }
                    let at = base.distance(to: UnsafeRawPointer(hit))
                    if memcmp(base + at, pattern.baseAddress!, pattern.count) == 0 { return at }
                    offset = at + 1
                }
                return nil
            }
        }
    }

    /// How many bytes at the end of `buffer` could be the start of a delimiter completed by the next chunk.
    private func heldTail(of buffer: ByteBuffer) -> Int {
        let view = buffer.readableBytesView
        var length = min(delimiter.count - 1, view.count)
        while length > 0 {
            if view[(view.endIndex - length)...].elementsEqual(delimiter.prefix(length)) { return length }
            length -= 1
        }
        return 0
    }

    private func emitHeader(_ handle: (Event) -> Void) throws(Failure) {
        guard let colon = carry.firstIndex(of: UInt8(ascii: ":")), colon > 0 else { throw .malformedHeader }
        let name = String(decoding: carry[..<colon], as: UTF8.self)
        var value = carry[(colon + 1)...]
        while let first = value.first, first == 0x20 || first == 0x09 { value = value.dropFirst() }
        while let last = value.last, last == 0x20 || last == 0x09 { value = value.dropLast() }
        handle(.header(name: name, value: String(decoding: value, as: UTF8.self)))
    }
}
