import FarmIQCore
import NIOCore

/// Reads the `multipart/form-data` body of a media upload (`contracts.md` §3) as it streams in, with
/// ``MultipartScanner``, and hands back the image bytes to write; nothing but a bounded prefix of the
/// image (for the JPEG header parse) and the small fields stays in memory.
///
/// Every bound of ``MediaUploadLimits`` is checked while reading, so a hostile body is refused at the first byte
/// that breaks a rule: parts beyond `maxParts`, a header line or preamble longer than `maxSilentBytes`, a field
/// longer than `maxFieldBytes` (`400`); an image beyond `maxImageBytes`, or whose header declares more than
/// `maxDimension` pixels a side (`413`); image bytes that do not start with the JPEG SOI marker (`415`).
///
/// Not thread-safe: one reader per request, used by one task.
public final class MultipartUploadReader {
    /// What a complete, valid body carried.
    public struct Upload: Sendable, Equatable {
        public let eventID: String
        public let capturedAt: Timestamp
        public let sessionID: String?
        public let header: JPEGHeader
        /// The image part's size, bytes.
        public let sizeBytes: Int
    }

    private enum PartKind {
        case pending
        case image
        case field(String)
        case ignored
    }

    static let fieldNames: Set<String> = ["event_id", "captured_at", "session_id"]

    private var scanner: MultipartScanner
    private let limits: MediaUploadLimits

    private var headers: [(name: String, value: String)] = []
    private var headerBytes = 0
    private var kind = PartKind.pending
    private var partBytes = 0
    private var partCount = 0
    private var silentBytes = 0
    private var fieldValue: [UInt8] = []
    private var fields: [String: String] = [:]
    /// Image bytes of the current `consume` call, gathered into one buffer (the parser hands them over in small pieces).
    private var output = ByteBuffer()
    private var imagePrefix: [UInt8] = []
    private var sawImage = false
    private var failure: EdgeError?

    /// Image bytes read so far.
    public private(set) var imageBytes = 0
    /// The image's frame header, once read.
    public private(set) var header: JPEGHeader?

    /// `contentType`: the request's `Content-Type`; throws `400` unless it is `multipart/form-data` with a
    /// boundary of 1–70 characters.
    public init(contentType: String?, limits: MediaUploadLimits = MediaUploadLimits()) throws(EdgeError) {
        guard let contentType, HeaderParameters.mainValue(contentType) == "multipart/form-data" else {
            throw EdgeError(.invalidRequest, "the body must be multipart/form-data (contracts.md §3)")
        }
        guard let boundary = HeaderParameters.value(of: "boundary", in: contentType), (1...70).contains(boundary.utf8.count),
            boundary.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F })
        else {
            throw EdgeError(.invalidRequest, "multipart/form-data needs a boundary of 1 to 70 printable characters")
        }
        self.limits = limits
        self.scanner = MultipartScanner(boundary: boundary, maxLineBytes: limits.maxSilentBytes)
    }

    /// Feeds the next bytes of the body; returns the image bytes among them, in order.
    public func consume(_ buffer: ByteBuffer) throws(EdgeError) -> [ByteBuffer] {
        var buffer = buffer
        while buffer.readableBytes > 0 {
            // Slices of 64 KiB: a body that never gets to a part is refused after at most one slice.
            let slice = buffer.readSlice(length: min(65_536, buffer.readableBytes))!
            silentBytes += slice.readableBytes
            do {
                try scanner.feed(slice) { event in
                    switch event {
                    case .header(let name, let value): header(name: name, value: value)
                    case .body(var bytes): body(&bytes)
                    case .partComplete: partComplete()
                    }
                }
            } catch {
                switch error {
                case .malformedHeader:
                    throw EdgeError(.invalidRequest, "malformed multipart body (a part header line is not `name: value`)")
                case .headerLineTooLong:
                    throw EdgeError(.invalidRequest, "malformed multipart body: a part header line longer than \(limits.maxSilentBytes) bytes")
                case .malformedDelimiter:
                    throw EdgeError(.invalidRequest, "malformed multipart body: a boundary is followed by neither CRLF nor `--`")
                }
            }
            if let failure { throw failure }
            if silentBytes > limits.maxSilentBytes {
                throw EdgeError(.invalidRequest, "malformed multipart body: more than \(limits.maxSilentBytes) bytes without a part (a header line or preamble too long)")
            }
        }
        guard output.readableBytes > 0 else { return [] }
        defer { output = ByteBuffer() }
        return [output]
    }

    /// Checks the body is complete (it ended with the closing boundary) and valid; returns what it carried.
    public func finish() throws(EdgeError) -> Upload {
        if let failure { throw failure }
        guard scanner.isComplete else {
            throw EdgeError(.invalidRequest, "malformed multipart body: it ends before the closing boundary (a truncated upload?)")
        }
        guard sawImage else { throw EdgeError(.invalidRequest, "the part `image` is missing (contracts.md §3)") }
        let header = try frameHeader()
        guard let eventID = fields["event_id"] else { throw EdgeError(.invalidRequest, "the field `event_id` is missing (contracts.md §3)") }
        guard Identifier.isValidUUID(eventID) else {
            throw EdgeError(.invalidRequest, "`event_id` must be a UUID in canonical lower-case form (contracts.md §1)")
        }
        guard let capturedText = fields["captured_at"] else { throw EdgeError(.invalidRequest, "the field `captured_at` is missing (contracts.md §3)") }
        guard let capturedAt = Timestamp(rfc3339: capturedText) else {
            throw EdgeError(.invalidRequest, "`captured_at` must be an RFC 3339 time with `Z` or an offset (contracts.md §1)")
        }
        let sessionID = fields["session_id"].flatMap { $0.isEmpty ? nil : $0 }
        if let sessionID, !Identifier.isValidUUID(sessionID) {
            throw EdgeError(.invalidRequest, "`session_id` must be a UUID in canonical lower-case form (contracts.md §1)")
        }
        return Upload(eventID: eventID, capturedAt: capturedAt, sessionID: sessionID, header: header, sizeBytes: imageBytes)
    }

    // MARK: Scanner events (they cannot throw: the first failure is kept and thrown by `consume`)

    private func header(name: String, value: String) {
        silentBytes = 0
        guard failure == nil else { return }
        headerBytes += name.utf8.count + value.utf8.count + 4
        headers.append((name, value))
        if headers.count > limits.maxHeadersPerPart || headerBytes > limits.maxHeaderBytesPerPart {
            failure = EdgeError(.invalidRequest, "malformed multipart body: a part has more than \(limits.maxHeadersPerPart) headers or \(limits.maxHeaderBytesPerPart) header bytes")
        }
    }

    private func body(_ buffer: inout ByteBuffer) {
        silentBytes = 0
        guard failure == nil else { return }
        if case .pending = kind { startPart() }
        partBytes += buffer.readableBytes
        switch kind {
        case .pending:
            return
        case .image:
            image(buffer)
        case .field(let name):
            guard partBytes <= limits.maxFieldBytes else {
                failure = EdgeError(.invalidRequest, "the field `\(name)` is longer than \(limits.maxFieldBytes) bytes")
                return
            }
            fieldValue.append(contentsOf: buffer.readableBytesView)
        case .ignored:
            if partBytes > limits.maxIgnoredPartBytes {
                failure = EdgeError(.invalidRequest, "a part other than image, event_id, captured_at and session_id is longer than \(limits.maxIgnoredPartBytes) bytes")
            }
        }
    }

    private func partComplete() {
        silentBytes = 0
        guard failure == nil else { return }
        if case .pending = kind { startPart() }
        switch kind {
        case .field(let name):
            guard let value = String(validating: fieldValue, as: UTF8.self) else {
                failure = EdgeError(.invalidRequest, "the field `\(name)` is not UTF-8")
                return
            }
            fields[name] = value.trimmingASCIISpaces()
        case .image:
            if header == nil, imagePrefix.count < 3 { failure = notJPEG() }
        case .pending, .ignored:
            break
        }
        headers.removeAll()
        headerBytes = 0
        partBytes = 0
        fieldValue.removeAll()
        kind = .pending
    }

    private func startPart() {
        partCount += 1
        guard partCount <= limits.maxParts else {
            failure = EdgeError(.invalidRequest, "malformed multipart body: more than \(limits.maxParts) parts")
            return
        }
        guard let disposition = headers.first(where: { $0.name.lowercased() == "content-disposition" })?.value,
            HeaderParameters.mainValue(disposition) == "form-data", let name = HeaderParameters.value(of: "name", in: disposition)
        else {
            failure = EdgeError(.invalidRequest, "malformed multipart body: a part without `Content-Disposition: form-data; name=…`")
            return
        }
        if name == "image" {
            guard !sawImage else {
                failure = EdgeError(.invalidRequest, "more than one part `image`")
                return
            }
            sawImage = true
            kind = .image
        } else if Self.fieldNames.contains(name) {
            guard fields[name] == nil else {
                failure = EdgeError(.invalidRequest, "more than one field `\(name)`")
                return
            }
            kind = .field(name)
        } else {
            kind = .ignored
        }
    }

    private func image(_ buffer: ByteBuffer) {
        imageBytes += buffer.readableBytes
        guard imageBytes <= limits.maxImageBytes else {
            failure = EdgeError(.payloadTooLarge, "the image is larger than \(limits.maxImageBytes) bytes (contracts.md §3)")
            return
        }
        let before = imagePrefix.count
        // The prefix is kept only until the frame header is read (usually within the first 16 KiB).
        if header == nil, before < limits.headerPrefixBytes {
            imagePrefix.append(contentsOf: buffer.readableBytesView.prefix(limits.headerPrefixBytes - before))
            if before < 3, imagePrefix.count >= 3, !JPEGHeader.hasStartOfImage(imagePrefix) {
                failure = notJPEG()
                return
            }
            // Try the header each time the prefix passes 16, 64 and 256 KiB, so an oversized frame is refused
            // before the rest of the body is read; `finish` tries again with the whole prefix.
            if [16_384, 65_536, 262_144].contains(where: { before < $0 && imagePrefix.count >= $0 }) {
                header = JPEGHeader.parse(imagePrefix)
                if let header {
                    imagePrefix = []
                    if let failure = dimensionFailure(header) { self.failure = failure }
                }
            }
        }
        if failure == nil {
            var buffer = buffer
            output.writeBuffer(&buffer)
        }
    }

    private func frameHeader() throws(EdgeError) -> JPEGHeader {
        if header == nil {
            header = JPEGHeader.parse(imagePrefix)
            imagePrefix = []
        }
        guard let header else { throw notJPEG() }
        if let failure = dimensionFailure(header) { throw failure }
        return header
    }

    private func dimensionFailure(_ header: JPEGHeader) -> EdgeError? {
        guard header.width > limits.maxDimension || header.height > limits.maxDimension else { return nil }
        return EdgeError(.payloadTooLarge, "the image is \(header.width)×\(header.height) pixels; at most \(limits.maxDimension)×\(limits.maxDimension) (contracts.md §3)")
    }

    private func notJPEG() -> EdgeError {
        EdgeError(.unsupportedMediaType, "the image is not a JPEG (checked on its bytes: SOI marker and frame header; contracts.md §3)")
    }
}
