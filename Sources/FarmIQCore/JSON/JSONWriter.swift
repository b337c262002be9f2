/// Serialises ``JSONValue`` to compact JSON text.
public enum JSONWriter {
    /// Compact JSON text of `value`: no whitespace, members in order, numbers as their ``JSONNumber/text``.
    public static func write(_ value: JSONValue) -> String {
        var output = ""
        write(value, into: &output)
        return output
    }

    /// Appends the compact JSON text of `value` to `output` (see ``write(_:)``).
    public static func write(_ value: JSONValue, into output: inout String) {
        switch value {
        case .null: output += "null"
        case .bool(let flag): output += flag ? "true" : "false"
        case .number(let number): output += number.text
        case .string(let string): writeString(string, into: &output)
        case .array(let elements):
            output += "["
            for (offset, element) in elements.enumerated() {
                if offset > 0 { output += "," }
                write(element, into: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (offset, member) in members.enumerated() {
                if offset > 0 { output += "," }
                writeString(member.0, into: &output)
                output += ":"
                write(member.1, into: &output)
            }
            output += "}"
        }
    }

    /// Appends `string` as a JSON string literal, escaping quotes, backslashes and control characters
    /// (as ``JSONTextBuilder/string(_:)``, which does the escaping).
    public static func writeString(_ string: String, into output: inout String) {
        // Most strings need no escape: appended as they are, without a builder.
        guard string.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else {
            output += "\""
            output += string
            output += "\""
            return
        }
        var escaped = JSONTextBuilder(capacity: string.utf8.count + 16)
        escaped.string(string)
        output += escaped.text
    }
}
