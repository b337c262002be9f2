import Testing
@testable import FarmIQCore

@Suite("JSONTextBuilder and JSONWriter string escaping")
struct JSONTextBuilderTests {
    @Test("string literals: quotes, backslashes, every kind of control character, non-ASCII, empty", arguments: [
        ("", #""""#),
        ("plain", #""plain""#),
        ("a\"b", #""a\"b""#),
        ("back\\slash", #""back\\slash""#),
        ("line\nfeed", #""line\nfeed""#),
        ("cr\rtab\t", #""cr\rtab\t""#),
        ("\u{0}\u{1}\u{8}\u{c}\u{1b}\u{1f}", #""\u0000\u0001\u0008\u000c\u001b\u001f""#),
        ("\u{7f}", "\"\u{7f}\""),
        ("°C", "\"°C\""),
        ("µg/m³", "\"µg/m³\""),
        ("🐔 + 🐖", "\"🐔 + 🐖\""),
        ("\"\\\"\\", #""\"\\\"\\""#),
        ("end\"", #""end\"""#),
    ])
    func strings(_ value: String, _ expected: String) throws {
        var builder = JSONTextBuilder(capacity: 0)
        builder.string(value)
        #expect(builder.text == expected)
        var written = "x"
        JSONWriter.writeString(value, into: &written)
        #expect(written == "x" + expected)
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
