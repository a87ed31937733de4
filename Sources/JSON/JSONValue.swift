// A JSON value (RFC 8259) as HDRec reads and writes it: request bodies, problem
// documents, safetensors headers, adapter_config.json, dataset files. Objects keep member
// order (so serialization is deterministic and readers can name where a member was), and
// numbers keep their text (so a u64 offset or an id beyond 2^53 stays exact).
// The module imports nothing, so the HTTP layer that depends on it stays free of Foundation.

/// A JSON value. Build objects and numbers with `.object(pairs)` and `.number(double)`.
public enum JSONValue: Sendable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    /// A number from a Double (integral values print without a fraction); non-finite
    /// values, which JSON cannot hold, become null.
    public static func number(_ d: Double) -> JSONValue {
        JSONNumber(d).map(JSONValue.number) ?? .null
    }

    /// An object from (key, value) pairs in order.
    public static func object(_ pairs: [(String, JSONValue)]) -> JSONValue {
        .object(pairs.map { JSONMember($0.0, $0.1) })
    }

    /// Member lookup on an object (first match), nil otherwise.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members.first { $0.key == key }?.value }
        return nil
    }

    /// The JSON type name used in validation messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    public var stringValue: String? { if case let .string(s) = self { return s } else { return nil } }
    public var boolValue: Bool? { if case let .bool(b) = self { return b } else { return nil } }
    public var numberValue: JSONNumber? { if case let .number(n) = self { return n } else { return nil } }
    public var arrayValue: [JSONValue]? { if case let .array(a) = self { return a } else { return nil } }
    public var objectValue: [JSONMember]? { if case let .object(o) = self { return o } else { return nil } }
    /// The number as a Double (every parsed number is finite).
    public var doubleValue: Double? { numberValue?.double }
    /// An integer literal that fits in Int.
    public var intValue: Int? { numberValue?.int }
    /// A non-negative integer literal that fits in UInt64.
    public var uint64Value: UInt64? { numberValue?.uint64 }

    public var description: String { serialized() }
}

/// One member of an object: its key, its value, and where the key's opening quote stood
/// in the parsed text (0 for members built in code), so readers can point at a member.
public struct JSONMember: Sendable, Equatable {
    public var key: String
    public var value: JSONValue
    public var offset: Int

    public init(_ key: String, _ value: JSONValue, offset: Int = 0) {
        self.key = key
        self.value = value
        self.offset = offset
    }

    /// Members are equal by key and value; where they were parsed from does not matter.
    public static func == (a: JSONMember, b: JSONMember) -> Bool { a.key == b.key && a.value == b.value }
}
