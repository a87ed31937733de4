// GGUF metadata values (ggml docs/gguf.md, `gguf_metadata_value_type`): thirteen
// on-disk types, one Swift case each, so a value read from a file can be written
// back with exactly the same type id and bytes. Arrays keep their element type
// even when empty, and may nest (an array of arrays).

/// The on-disk type id of a GGUF metadata value.
public enum GGUFValueType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5
    case float32 = 6, bool = 7, string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// Encoded size of one value, or nil for variable-size types (string, array).
    public var fixedSize: Int? {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64: return 8
        case .string, .array: return nil
        }
    }

    /// The smallest number of bytes one value of this type can occupy
    /// (a string is at least its u64 length; an array its u32 type + u64 count).
    var minimumSize: Int { fixedSize ?? (self == .string ? 8 : 12) }

    public var description: String {
        switch self {
        case .uint8: return "uint8"
        case .int8: return "int8"
        case .uint16: return "uint16"
        case .int16: return "int16"
        case .uint32: return "uint32"
        case .int32: return "int32"
        case .float32: return "float32"
        case .bool: return "bool"
        case .string: return "string"
        case .array: return "array"
        case .uint64: return "uint64"
        case .int64: return "int64"
        case .float64: return "float64"
        }
    }
}

/// One GGUF metadata value.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8)
    case int8(Int8)
    case uint16(UInt16)
    case int16(Int16)
    case uint32(UInt32)
    case int32(Int32)
    case float32(Float)
    case bool(Bool)
    case string(String)
    /// An array of values that all have `elementType` (nested arrays allowed).
    case array(elementType: GGUFValueType, values: [GGUFValue])
    case uint64(UInt64)
    case int64(Int64)
    case float64(Double)

    public var type: GGUFValueType {
        switch self {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .float32: return .float32
        case .bool: return .bool
        case .string: return .string
        case .array: return .array
        case .uint64: return .uint64
        case .int64: return .int64
        case .float64: return .float64
        }
    }

    /// Any integer value as `Int` (nil for non-integers or values that do not fit).
    public var intValue: Int? {
        switch self {
        case let .uint8(v): return Int(v)
        case let .int8(v): return Int(v)
        case let .uint16(v): return Int(v)
        case let .int16(v): return Int(v)
        case let .uint32(v): return Int(v)
        case let .int32(v): return Int(v)
        case let .uint64(v): return Int(exactly: v)
        case let .int64(v): return Int(exactly: v)
        default: return nil
        }
    }

    /// A float or integer value as `Double`.
    public var doubleValue: Double? {
        switch self {
        case let .float32(v): return Double(v)
        case let .float64(v): return v
        default: return intValue.map(Double.init)
        }
    }

    public var stringValue: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    public var boolValue: Bool? {
        if case let .bool(b) = self { return b }
        return nil
    }

    /// The elements of an array value.
    public var arrayValue: [GGUFValue]? {
        if case let .array(_, values) = self { return values }
        return nil
    }

    /// A short JSON-ish rendering for `hdrec inspect` (arrays abbreviated).
    public func summary(maxElements: Int = 8) -> String {
        switch self {
        case let .string(s): return "\"\(s)\""
        case let .bool(b): return b ? "true" : "false"
        case let .array(t, values):
            let head = values.prefix(maxElements).map { $0.summary(maxElements: maxElements) }.joined(separator: ", ")
            let more = values.count > maxElements ? ", ... (\(values.count) \(t))" : ""
            return "[\(head)\(more)]"
        case let .float32(v): return "\(v)"
        case let .float64(v): return "\(v)"
        default: return intValue.map(String.init) ?? "?"
        }
    }
}
