/// A parsed JSON value. Numbers keep their original text so a payload can be re-emitted unchanged.
public enum JSONValue: Sendable, Equatable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, with its text as written.
    case number(JSONNumber)
    /// A string, escapes resolved.
    case string(String)
    /// An array, in document order.
    case array([JSONValue])
    /// Members in document order. The parser rejects duplicate names.
    case object([(String, JSONValue)])

    /// Structural equality: object members in order, numbers by text and value (so `1` ≠ `1.0`).
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The first member named `key`, if this is an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        for (name, value) in members where name == key { return value }
        return nil
    }

    /// True for ``object(_:)``.
    public var isObject: Bool {
        if case .object = self { return true }
        return false
    }
}

/// A JSON number: its text as written and its value as a `Double`.
public struct JSONNumber: Sendable, Equatable {
    /// The number as written (at most 64 characters when parsed); what ``JSONWriter`` writes.
    public let text: String
    /// The value as a `Double`: rounded to the nearest, infinite for text like `1e400`.
    public let value: Double

    /// A number of given text and value (not checked to agree).
    public init(text: String, value: Double) {
        self.text = text
        self.value = value
    }

    /// `value` written as an integer when whole and below 10¹⁵ in magnitude, else in Swift's shortest form;
    /// text `null` when not finite (JSON has no NaN or infinity).
    public init(_ value: Double) {
        self.value = value
        self.text = JSONNumber.format(value)
    }

    /// An integer, written in decimal; `value` is its nearest `Double`.
    public init(_ value: Int) {
        self.value = Double(value)
        self.text = String(value)
    }

    /// The value as an exact integer, if it is one.
    public var integerValue: Int? {
        guard value.isFinite, value == value.rounded(), abs(value) < 9_007_199_254_740_992 else { return nil }
        return Int(value)
    }

    package static func format(_ value: Double) -> String {
        // JSON has no NaN or infinity: write null rather than invalid text ("inf", "nan").
        guard value.isFinite else { return "null" }
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
