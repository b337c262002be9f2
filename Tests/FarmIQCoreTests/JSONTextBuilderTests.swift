import Testing
@testable import FarmIQCore

@Suite("JSONTextBuilder writes what JSONWriter writes")
struct JSONTextBuilderTests {
    @Test("string literals: quotes, backslashes, every control character, non-ASCII, empty", arguments: [
        "", "plain", "a\"b", "back\\slash", "line\nfeed", "cr\rtab\t", "\u{0}\u{1}\u{8}\u{c}\u{1b}\u{1f}", "\u{7f}",
        "°C", "µg/m³", "🐔 + 🐖", "\"\\\"\\", "end\"",
    ])
    func strings(_ value: String) throws {
        var builder = JSONTextBuilder(capacity: 0)
        builder.string(value)
        var expected = ""
        JSONWriter.writeString(value, into: &expected)
        #expect(builder.text == expected)
        #expect(try JSONParser.parse(builder.text) == .string(value))
    }

    @Test("raw pieces, integers and strings in order")
    func pieces() {
        var builder = JSONTextBuilder(capacity: 8)
        builder.raw("{\"a\":")
        builder.integer(-42)
        builder.raw(",\"b\":")
        builder.string("x\ny")
        builder.raw(String("}"))
        #expect(builder.text == "{\"a\":-42,\"b\":\"x\\ny\"}")
    }
}
