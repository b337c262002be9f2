import FarmIQTestSupport
import FarmIQCore
import MediaStore
import NIOCore
import Testing

@Suite struct MultipartUploadReaderTests {
    static let boundary = "----farmiq-test-boundary"
    static let contentType = "multipart/form-data; boundary=\(boundary)"
    static let eventID = "0190f3a2-7b1c-7d2e-8f00-1234567890ab"

    static func part(_ name: String, _ value: [UInt8], filename: String? = nil, extraHeaders: String = "") -> [UInt8] {
        var head = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\""
        if let filename { head += "; filename=\"\(filename)\"\r\nContent-Type: image/jpeg" }
        head += "\r\n\(extraHeaders)\r\n"
        return Array(head.utf8) + value + Array("\r\n".utf8)
    }

    static func body(image: [UInt8]? = JPEGFixtures.image(), fields: [(String, String)] = [
        ("event_id", eventID), ("captured_at", "2026-11-30T08:15:00.250+01:00"),
    ], imageFirst: Bool = false) -> [UInt8] {
        var parts: [[UInt8]] = fields.map { part($0.0, Array($0.1.utf8)) }
        if let image {
            let imagePart = part("image", image, filename: "top.jpg")
            if imageFirst { parts.insert(imagePart, at: 0) } else { parts.append(imagePart) }
        }
        return parts.flatMap { $0 } + Array("--\(boundary)--\r\n".utf8)
    }

    /// Feeds `bytes` in chunks of `chunk`; returns the upload and the image bytes handed out.
    static func read(_ bytes: [UInt8], chunk: Int = 4096, limits: MediaUploadLimits = MediaUploadLimits()) throws(EdgeError) -> (MultipartUploadReader.Upload, [UInt8]) {
        let reader = try MultipartUploadReader(contentType: contentType, limits: limits)
        var image: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let end = min(index + chunk, bytes.count)
            for buffer in try reader.consume(ByteBuffer(bytes: bytes[index..<end])) { image += buffer.readableBytesView }
            index = end
        }
        return (try reader.finish(), image)
    }

    static func failure(_ bytes: [UInt8], chunk: Int = 4096, limits: MediaUploadLimits = MediaUploadLimits()) -> EdgeError? {
        do {
            _ = try read(bytes, chunk: chunk, limits: limits)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [1, 7, 100, 4096, 1 << 20], [false, true])
    func readsAnUploadWhateverTheChunkingAndPartOrder(chunk: Int, imageFirst: Bool) throws {
        let image = JPEGFixtures.image(width: 320, height: 200)
        let session = "0190f3a2-0000-7000-8000-00000000beef"
        let bytes = Self.body(image: image, fields: [
            ("event_id", Self.eventID), ("captured_at", "2026-11-30T08:15:00.250+01:00"), ("session_id", session),
        ], imageFirst: imageFirst)
        let (upload, written) = try Self.read(bytes, chunk: chunk)
        #expect(written == image)
        #expect(upload.eventID == Self.eventID)
        #expect(upload.capturedAt == Timestamp(rfc3339: "2026-11-30T07:15:00.250Z"))
        #expect(upload.sessionID == session)
        #expect(upload.header == JPEGHeader(width: 320, height: 200))
        #expect(upload.sizeBytes == image.count)
    }

    @Test func imageBytesThatLookLikeTheBoundaryPrefixSurvive() throws {
        // CR LF and dashes inside the image must come out unchanged.
        var image = JPEGFixtures.image()
        image.insert(contentsOf: Array("\r\n--\r\n----farmiq-test\r".utf8), at: image.count - 2)
        let (_, written) = try Self.read(Self.body(image: image), chunk: 3)
        #expect(written == image)
    }

    @Test func refusesWhatIsNotMultipart() {
        #expect(throws: EdgeError.self) { try MultipartUploadReader(contentType: "image/jpeg") }
        #expect(throws: EdgeError.self) { try MultipartUploadReader(contentType: nil) }
        #expect(throws: EdgeError.self) { try MultipartUploadReader(contentType: "multipart/form-data") }
        #expect(throws: EdgeError.self) { try MultipartUploadReader(contentType: "multipart/form-data; boundary=\(String(repeating: "x", count: 71))") }
        #expect((try? MultipartUploadReader(contentType: "Multipart/Form-Data; charset=utf-8; boundary=\"a b\"")) != nil)
    }

    @Test func missingAndInvalidFieldsAre400() {
        let cases: [[(String, String)]] = [
            [("captured_at", "2026-11-30T08:15:00Z")],
            [("event_id", Self.eventID)],
            [("event_id", "not-a-uuid"), ("captured_at", "2026-11-30T08:15:00Z")],
            [("event_id", Self.eventID.uppercased()), ("captured_at", "2026-11-30T08:15:00Z")],
            [("event_id", Self.eventID), ("captured_at", "yesterday")],
            [("event_id", Self.eventID), ("captured_at", "2026-11-30T08:15:00Z"), ("session_id", "../../x")],
            [("event_id", Self.eventID), ("captured_at", "2026-11-30T08:15:00Z"), ("session_id", "0190f3a2-0000-7000-8000-00000000beef/..")],
            [("event_id", Self.eventID), ("event_id", Self.eventID), ("captured_at", "2026-11-30T08:15:00Z")],
        ]
        for fields in cases {
            #expect(Self.failure(Self.body(fields: fields))?.code == .invalidRequest, "\(fields)")
        }
        #expect(Self.failure(Self.body(image: nil))?.code == .invalidRequest)
    }

    @Test func notAJPEGIs415EvenWhenDeclaredImageJpeg() {
        #expect(Self.failure(Self.body(image: Array("GIF89a....".utf8)))?.code == .unsupportedMediaType)
        #expect(Self.failure(Self.body(image: [0xFF, 0xD8]))?.code == .unsupportedMediaType)
        // SOI marker and then garbage: no frame header.
        #expect(Self.failure(Self.body(image: [0xFF, 0xD8, 0xFF] + [UInt8](repeating: 0x41, count: 5000)))?.code == .unsupportedMediaType)
    }

    @Test func oversizedImagesAre413() {
        var limits = MediaUploadLimits()
        limits.maxImageBytes = 100_000
        let big = JPEGFixtures.image() + [UInt8](repeating: 0x55, count: 100_001)
        #expect(Self.failure(Self.body(image: big), limits: limits)?.code == .payloadTooLarge)
        #expect(Self.failure(Self.body(image: JPEGFixtures.declaring(width: 60000, height: 60000)))?.code == .payloadTooLarge)
        #expect(Self.failure(Self.body(image: JPEGFixtures.declaring(width: 8193, height: 10)))?.code == .payloadTooLarge)
        #expect(Self.failure(Self.body(image: JPEGFixtures.declaring(width: 8192, height: 8192))) == nil)
    }

    @Test func aDeclared60000SquareIsRefusedBeforeTheRestOfTheBodyIsRead() throws {
        // The header is checked once 64 KiB of the image are in: the 10 MiB behind it are never read.
        let image = JPEGFixtures.declaring(width: 60000, height: 60000) + [UInt8](repeating: 0x11, count: 9 * 1024 * 1024)
        let bytes = Self.body(image: image)
        let reader = try MultipartUploadReader(contentType: Self.contentType)
        var fed = 0
        var error: EdgeError?
        while fed < bytes.count {
            let end = min(fed + 16384, bytes.count)
            do { _ = try reader.consume(ByteBuffer(bytes: bytes[fed..<end])) } catch let refusal { error = refusal; break }
            fed = end
        }
        #expect(error?.code == .payloadTooLarge)
        #expect(fed < 100_000)
    }

    @Test func aTruncatedBodyIsRefused() {
        let bytes = Self.body()
        #expect(Self.failure(Array(bytes.dropLast(10)))?.code == .invalidRequest)
        #expect(Self.failure(Array(bytes.prefix(bytes.count / 2)))?.code == .invalidRequest)
        #expect(Self.failure([])?.code == .invalidRequest)
    }

    @Test func aHundredThousandPartsAreRefusedAfterTheLimit() throws {
        let one = Self.part("x", Array("v".utf8))
        let bytes = Array((0..<100_000).lazy.map { _ in one }.joined())
        let reader = try MultipartUploadReader(contentType: Self.contentType)
        var fed = 0
        var error: EdgeError?
        while fed < bytes.count {
            let end = min(fed + 4096, bytes.count)
            do { _ = try reader.consume(ByteBuffer(bytes: bytes[fed..<end])) } catch let refusal { error = refusal; break }
            fed = end
        }
        #expect(error?.code == .invalidRequest)
        #expect(fed < 10_000)
    }

    @Test func aLongHeaderLineOrPreambleIsRefusedAfterAFewKilobytes() throws {
        let longHeader = Array("--\(Self.boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"".utf8)
            + [UInt8](repeating: 0x61, count: 1 << 20)
        let preamble = [UInt8](repeating: 0x62, count: 1 << 20)
        for bytes in [longHeader, preamble] {
            let reader = try MultipartUploadReader(contentType: Self.contentType)
            var fed = 0
            var error: EdgeError?
            while fed < bytes.count {
                let end = min(fed + 65536, bytes.count)
                do { _ = try reader.consume(ByteBuffer(bytes: bytes[fed..<end])) } catch let refusal { error = refusal; break }
                fed = end
            }
            #expect(error?.code == .invalidRequest)
            #expect(fed <= 65536)
        }
        // Many small headers in one part.
        let manyHeaders = (0..<100).map { "X-Header-\($0): v\r\n" }.joined()
        let bytes = Self.part("image", JPEGFixtures.image(), filename: "a.jpg", extraHeaders: manyHeaders) + Array("--\(Self.boundary)--".utf8)
        #expect(Self.failure(bytes)?.code == .invalidRequest)
    }

    @Test func aLongFieldAndTwoImagesAreRefused() {
        #expect(Self.failure(Self.body(fields: [("event_id", String(repeating: "a", count: 2000)), ("captured_at", "2026-11-30T08:15:00Z")]))?.code == .invalidRequest)
        let twoImages = Self.part("image", JPEGFixtures.image(), filename: "a.jpg") + Self.body()
        #expect(Self.failure(twoImages)?.code == .invalidRequest)
    }

    @Test func unknownPartsAreIgnoredWithinTheirBound() throws {
        let extra = Self.part("note", Array("hello".utf8))
        let (upload, _) = try Self.read(extra + Self.body())
        #expect(upload.eventID == Self.eventID)
        let huge = Self.part("note", [UInt8](repeating: 0x41, count: 70_000))
        #expect(Self.failure(huge + Self.body())?.code == .invalidRequest)
    }
}
