import NIOCore
import Testing

@testable import MediaStore

/// The multipart state machine alone, without I/O: every way of cutting a body gives the same parts.
@Suite struct MultipartScannerTests {
    struct Part: Equatable {
        var headers: [String] = []
        var content: [UInt8] = []
    }

    /// Feeds `body` cut at `cuts`; returns the completed parts, whether the close delimiter was read, or the failure.
    static func scan(_ body: [UInt8], cuts: [Int], boundary: String = "b0undary", maxLineBytes: Int = 1024) -> (parts: [Part], complete: Bool, failure: MultipartScanner.Failure?) {
        var scanner = MultipartScanner(boundary: boundary, maxLineBytes: maxLineBytes)
        var parts: [Part] = []
        var current = Part()
        var start = 0
        for end in cuts + [body.count] where end >= start {
            do {
                try scanner.feed(ByteBuffer(bytes: body[start..<end])) { event in
                    switch event {
                    case .header(let name, let value): current.headers.append("\(name)=\(value)")
                    case .body(let bytes): current.content += bytes.readableBytesView
                    case .partComplete:
                        parts.append(current)
                        current = Part()
                    }
                }
            } catch {
                return (parts, scanner.isComplete, error)
            }
            start = end
        }
        return (parts, scanner.isComplete, nil)
    }

    @Test func everyCutGivesTheSameParts() {
        let body = Array((
            "preamble\r\n--b0undary\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
                + "one\r\n--b0undar\r\r\n-\r\n\r\n--b0und\r\n"
                + "--b0undary\r\nContent-Disposition: form-data; name=\"b\"\r\nX: y\r\n\r\n"
                + "\r\n--b0undary--\r\nepilogue --b0undary\r\n"
            ).utf8)
        let expected = [
            Part(headers: ["Content-Disposition=form-data; name=\"a\""], content: Array("one\r\n--b0undar\r\r\n-\r\n\r\n--b0und".utf8)),
            Part(headers: ["Content-Disposition=form-data; name=\"b\"", "X=y"], content: []),
        ]
        let whole = Self.scan(body, cuts: [])
        #expect(whole.parts == expected)
        #expect(whole.complete)
        #expect(whole.failure == nil)
        for cut in 0...body.count {
            let once = Self.scan(body, cuts: [cut])
            #expect(once.parts == expected, "cut at \(cut)")
            #expect(once.complete && once.failure == nil, "cut at \(cut)")
        }
        let bytewise = Self.scan(body, cuts: Array(1..<body.count))
        #expect(bytewise.parts == expected)
        #expect(bytewise.complete)
    }

    @Test func aBodyMayStartWithItsFirstDelimiterAndCarryPadding() {
        let body = Array("--b0undary \t\r\nA: 1\r\n\r\nx\r\n--b0undary--".utf8)
        let result = Self.scan(body, cuts: [1])
        #expect(result.parts == [Part(headers: ["A=1"], content: [UInt8(ascii: "x")])])
        #expect(result.complete)
    }

    @Test func aTruncatedBodyIsNotComplete() {
        let body = Array("--b0undary\r\nA: 1\r\n\r\nxyz\r\n--b0und".utf8)
        let result = Self.scan(body, cuts: [])
        #expect(result.parts.isEmpty)
        #expect(!result.complete)
        #expect(result.failure == nil)
    }

    @Test func malformedBodiesAreRefused() {
        #expect(Self.scan(Array("--b0undary\r\nno colon here\r\n\r\n".utf8), cuts: []).failure == .malformedHeader)
        #expect(Self.scan(Array("--b0undary\r\n: empty name\r\n\r\n".utf8), cuts: []).failure == .malformedHeader)
        #expect(Self.scan(Array("--b0undaryX\r\n".utf8), cuts: []).failure == .malformedDelimiter)
        #expect(Self.scan(Array("--b0undary-x".utf8), cuts: []).failure == .malformedDelimiter)
    }

    @Test func aHeaderLineLongerThanTheBoundIsRefusedWithoutReadingTheRest() {
        let body = Array("--b0undary\r\nA: ".utf8) + [UInt8](repeating: 0x61, count: 100_000)
        let result = Self.scan(body, cuts: Array(stride(from: 100, to: body.count, by: 100)), maxLineBytes: 1024)
        #expect(result.failure == .headerLineTooLong)
    }
}
