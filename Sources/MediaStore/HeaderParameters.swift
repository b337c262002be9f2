/// Parameters of a structured header value such as `multipart/form-data; boundary="x"` or
/// `form-data; name="image"; filename="a.jpg"` (RFC 7578 §4.2, RFC 2046 §5.1.1): `;`-separated `key=value`, the
/// value a token or a quoted string with `\` escapes. Keys compare case-insensitively.
enum HeaderParameters {
    /// The main value (before the first `;`), trimmed and lower-cased.
    static func mainValue(_ header: String) -> String {
        let end = header.firstIndex(of: ";") ?? header.endIndex
        return header[..<end].trimmingASCIISpaces().lowercased()
    }

    /// The value of parameter `key`, unquoted; `nil` when absent or malformed.
    static func value(of key: String, in header: String) -> String? {
        var rest = Substring(header)
        guard let first = rest.firstIndex(of: ";") else { return nil }
        rest = rest[rest.index(after: first)...]
        while !rest.isEmpty {
            rest = rest.drop { $0 == " " || $0 == "\t" }
            guard let equals = rest.firstIndex(of: "=") else { return nil }
            let name = rest[..<equals].trimmingASCIISpaces().lowercased()
            rest = rest[rest.index(after: equals)...].drop { $0 == " " || $0 == "\t" }
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                var closed = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if character == "\\" {
                        guard let escaped = rest.first else { return nil }
                        value.append(escaped)
                        rest = rest.dropFirst()
                    } else if character == "\"" {
                        closed = true
                        break
                    } else {
                        value.append(character)
                    }
                }
                guard closed else { return nil }
                rest = rest.drop { $0 == " " || $0 == "\t" }
                if rest.first == ";" { rest = rest.dropFirst() } else if !rest.isEmpty { return nil }
            } else {
                let end = rest.firstIndex(of: ";") ?? rest.endIndex
                value = String(rest[..<end].trimmingASCIISpaces())
                rest = end == rest.endIndex ? rest[end...] : rest[rest.index(after: end)...]
            }
            if name == key { return value }
        }
        return nil
    }
}

extension StringProtocol {
    func trimmingASCIISpaces() -> String {
        String(self.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
