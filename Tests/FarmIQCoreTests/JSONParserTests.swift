import Testing
@testable import FarmIQCore

private func parses(_ text: String) -> Bool { (try? JSONParser.parse(text)) != nil }
private func parses(_ bytes: [UInt8]) -> Bool { (try? JSONParser.parse(bytes)) != nil }

@Suite("JSON parser: valid documents")
struct JSONParserValidTests {
    @Test("documents round trip through JSONWriter", arguments: [
        "null", "true", "false", "0", "-0", "1", "-1", "0.5", "-0.5", "1e5", "1E+5", "-1.5e-3", "24.300", "1e400",
        "123456789012345678901234567890", #""""#, #""abc""#, #""\"\\\/\b\f\n\r\t""#, #""\u0000\u001f""#,
        #""\ud83d\ude00""#, #""é 日本 😀""#, "[]", "{}", "[[[]]]", #"[1,"a",null,true,{"k":[]}]"#,
        #"{"a":1,"b":{"c":[1,2,{"d":"e"}]},"f":-0.0}"#, #"{"":""}"#,
        Fixture.envelope(),
    ])
    func roundTrip(_ text: String) throws {
        let value = try JSONParser.parse(text)
        let written = JSONWriter.write(value)
        #expect(try JSONParser.parse(written) == value)
        // Writing is a fixed point after one pass.
        #expect(JSONWriter.write(try JSONParser.parse(written)) == written)
    }

    @Test("whitespace around and inside a document is allowed")
    func whitespace() throws {
        let value = try JSONParser.parse(" \t\r\n{ \"a\" : [ 1 , 2 ] } \n")
        #expect(value == .object([("a", .array([.number(JSONNumber(text: "1", value: 1)), .number(JSONNumber(text: "2", value: 2))]))]))
    }

    @Test("values decode to what they say")
    func values() throws {
        let value = try JSONParser.parse(#"{"s":"a\nb\u00e9\ud83d\ude00","n":-12.5e1,"t":true,"z":null,"l":[1]}"#)
        #expect(value["s"] == .string("a\nbé😀"))
        guard case .number(let n)? = value["n"] else { Issue.record("n is not a number"); return }
        #expect(n.text == "-12.5e1")
        #expect(n.value == -125)
        #expect(value["t"] == .bool(true))
        #expect(value["z"] == .null)
        #expect(value["missing"] == nil)
        #expect(JSONValue.array([])["s"] == nil)
        #expect(value.isObject)
        #expect(!JSONValue.null.isObject)
    }

    @Test("number text is kept exactly as written")
    func numberText() throws {
        for text in ["24.300", "1E2", "1e+02", "-0", "0.0000001", "12345678901234567890"] {
            guard case .number(let n) = try JSONParser.parse(text) else { Issue.record("\(text) not a number"); continue }
            #expect(n.text == text)
            #expect(JSONWriter.write(.number(n)) == text)
        }
    }

    @Test("huge exponents parse to infinity (the validator must reject them)")
    func hugeNumbers() throws {
        guard case .number(let big) = try JSONParser.parse("1e400") else { Issue.record("not a number"); return }
        #expect(big.value == .infinity)
        #expect(big.integerValue == nil)
        guard case .number(let negative) = try JSONParser.parse("-1e999") else { Issue.record("not a number"); return }
        #expect(negative.value == -.infinity)
        guard case .number(let tiny) = try JSONParser.parse("1e-400") else { Issue.record("not a number"); return }
        #expect(tiny.value == 0)
    }

    @Test("integerValue")
    func integerValue() {
        #expect(JSONNumber(text: "3", value: 3).integerValue == 3)
        #expect(JSONNumber(text: "3.0", value: 3).integerValue == 3)
        #expect(JSONNumber(text: "3.5", value: 3.5).integerValue == nil)
        #expect(JSONNumber(text: "1e300", value: 1e300).integerValue == nil)
        #expect(JSONNumber(text: "-7", value: -7).integerValue == -7)
    }

    @Test("nesting up to maxDepth parses, one more level fails")
    func depthLimit() {
        let limit = JSONParser.defaultMaxDepth
        #expect(parses(String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)))
        #expect(!parses(String(repeating: "[", count: limit + 2) + String(repeating: "]", count: limit + 2)))
        #expect((try? JSONParser.parse("[[[1]]]", maxDepth: 3)) != nil)
        #expect((try? JSONParser.parse("[[[[1]]]]", maxDepth: 3)) == nil)
    }
}

@Suite("JSON parser: rejections")
struct JSONParserRejectionTests {
    @Test("not JSON", arguments: [
        "", " ", "NaN", "nan", "Infinity", "-Infinity", "+Infinity", "[NaN]", #"{"v":Infinity}"#, #"{"v":-Infinity}"#,
        "[1,]", #"{"a":1,}"#, "[,1]", "[1,,2]", "{,}", "[1 2]", #"{"a" 1}"#, #"{"a":}"#, #"{a:1}"#, "{'a':1}", "'a'",
        "01", "-01", "00", "1.", ".5", "+1", "1e", "1e+", "-", "--1", "0x10", "1.e5", "1_000", "١",
        "tru", "nul", "True", "NULL", "falsey", "[true false]",
        "{} x", "[] []", "{}}", "[", "]", "{", #"{"a""#, #"{"a":"#, #""abc"#, #""\"#, #""\u12""#, #""\u12G4""#, #""\x41""#,
        #""\'""#, "/* c */ {}", "// c\n{}", "\u{FEFF}{}", "\u{00A0}{}", "\u{000B}{}",
    ])
    func rejected(_ text: String) {
        #expect(!parses(text))
    }

    @Test("raw control characters inside strings are rejected, escaped ones accepted")
    func controlCharacters() {
        for code in UInt8(0)..<0x20 {
            #expect(!parses([0x22, code, 0x22]), "raw \(code)")
            #expect(!parses(Array(#""a\n"#.utf8) + [code, 0x22]), "raw \(code) after an escape")
        }
        #expect(parses(#""\u0001\u001F\t""#))
        #expect(parses([0x22, 0x7F, 0x22]))
    }

    @Test("lone or mismatched surrogate escapes", arguments: [
        #""\ud800""#, #""\udbff""#, #""\udc00""#, #""\udfff""#, #""\ud800\u0041""#, #""\ud800x""#, #""\ud800\ud800""#,
        #""\ude00\ud83d""#, #""\ud83d\""#, #""\ud83d\u""#,
    ])
    func surrogates(_ text: String) {
        #expect(!parses(text))
    }

    @Test("invalid UTF-8 inside strings, in the fast and the escape path", arguments: [
        [0xFF], [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xC3], [0xE6, 0x97], [0xF4, 0x90, 0x80, 0x80],
        [0x80], [0xF8, 0x88, 0x80, 0x80, 0x80],
    ] as [[UInt8]])
    func invalidUTF8(_ bad: [UInt8]) {
        #expect(!parses([0x22] + bad + [0x22]))
        #expect(!parses(Array(#""\n"#.utf8) + bad + [0x22]))
        #expect(!parses(Array(#"{""#.utf8) + bad + Array(#"":1}"#.utf8)))
    }

    @Test("a depth bomb of 100,000 brackets is an error, not a crash")
    func depthBomb() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(String(repeating: "[", count: 100_000)) }
        #expect(throws: JSONParseError.self) {
            try JSONParser.parse(String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000))
        }
        #expect(throws: JSONParseError.self) { try JSONParser.parse(String(repeating: #"{"a":"#, count: 100_000)) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse(String(repeating: #"[{"a":"#, count: 50_000)) }
    }

    @Test("errors carry the byte offset")
    func offsets() {
        do {
            _ = try JSONParser.parse("[1,]")
            Issue.record("parsed")
        } catch {
            #expect(error.offset == 3)
            #expect(error.description.contains("at byte 3"))
        }
    }

    @Test("over-long number text is rejected rather than silently rounded")
    func longNumber() {
        #expect(parses(String(repeating: "1", count: 64)))
        #expect(!parses(String(repeating: "1", count: 65)))
    }
}

@Suite("JSON writer")
struct JSONWriterTests {
    @Test("strings are escaped so the output re-parses to the same string")
    func escaping() throws {
        var all = ""
        for code in 0..<0x80 { all.unicodeScalars.append(Unicode.Scalar(UInt8(code))) }
        all += "é\u{2028}\u{2029}😀\u{FFFF}\""
        let written = JSONWriter.write(.string(all))
        #expect(try JSONParser.parse(written) == .string(all))
        #expect(!written.utf8.contains { $0 < 0x20 })
        #expect(JSONWriter.write(.string("a\"b\\c\nd\u{1}")) == #""a\"b\\c\nd\u0001""#)
        #expect(JSONWriter.write(.string("plain")) == #""plain""#)
    }

    @Test("compact output of every value kind")
    func compact() {
        let value = JSONValue.object([
            ("a", .array([.null, .bool(true), .bool(false), .number(JSONNumber(2)), .number(JSONNumber(2.5))])),
            ("b", .object([])),
            ("c", .string("x")),
        ])
        #expect(JSONWriter.write(value) == #"{"a":[null,true,false,2,2.5],"b":{},"c":"x"}"#)
    }

    @Test("numbers built from Doubles always write valid JSON", arguments: [
        0.0, -0.0, 1.0, -3.0, 0.1, 2.5, 1e15, 1e20, 1e-7, .leastNonzeroMagnitude, .greatestFiniteMagnitude, .infinity, -.infinity, .nan,
    ])
    func doubles(_ value: Double) throws {
        let text = JSONWriter.write(.array([.number(JSONNumber(value))]))
        let parsed = try JSONParser.parse(text)
        if value.isFinite {
            guard case .array(let items) = parsed, case .number(let n)? = items.first else {
                Issue.record("not a number: \(text)")
                return
            }
            #expect(n.value == value)
        }
    }

    @Test("integers")
    func integers() {
        #expect(JSONNumber(42).text == "42")
        #expect(JSONNumber(-42).value == -42)
        #expect(JSONNumber(3.0).text == "3")
    }
}

@Suite("JSON duplicate names")
struct JSONDuplicateNameTests {
    @Test("duplicate member names are rejected, in small and large objects")
    func duplicates() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse("{\"readings\":[1],\"readings\":[2]}") }
        let many = (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        #expect(throws: JSONParseError.self) { try JSONParser.parse("{\(many),\"k7\":0}") }
        #expect(throws: Never.self) { try JSONParser.parse("{\(many)}") }
        #expect(throws: Never.self) { try JSONParser.parse("{\"a\":{\"a\":1},\"b\":{\"a\":2}}") }
    }
}
