// The serializer: one string escaper and three layouts of the same text.
//   compact  {"a":[1,2],"b":{"c":null}}            HTTP bodies, log lines, JSONL records
//   spaced   {"a": [1, 2], "b": {"c": null}}       Python's json.dumps default (adapter_config.json fields)
//   pretty   two-space indented, arrays of scalars on one line   reports (`hdrec inspect`)
// Numbers print their text (JSONNumber), so what was parsed is written back unchanged.

public enum JSONLayout: Sendable {
    case compact
    case spaced
    case pretty
}

extension JSONValue {
    /// Compact JSON text.
    public func serialized() -> String { serialized(.compact) }

    public func serialized(_ layout: JSONLayout) -> String {
        var out = ""
        out.reserveCapacity(256)
        write(layout, indent: 0, into: &out)
        return out
    }

    private var isContainer: Bool {
        switch self {
        case .array, .object: return true
        default: return false
        }
    }

    private func write(_ layout: JSONLayout, indent: Int, into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += n.text
        case .string(let s): JSONString.write(s, into: &out)
        case .array(let items):
            // Pretty arrays of scalars stay on one line.
            let multiline = layout == .pretty && items.contains(where: \.isContainer)
            Self.container("[", "]", items.count, layout: layout, multiline: multiline, indent: indent, into: &out) { k, out in
                items[k].write(layout, indent: indent + 1, into: &out)
            }
        case .object(let members):
            Self.container("{", "}", members.count, layout: layout, multiline: layout == .pretty, indent: indent, into: &out) { k, out in
                JSONString.write(members[k].key, into: &out)
                out += layout == .compact ? ":" : ": "
                members[k].value.write(layout, indent: indent + 1, into: &out)
            }
        }
    }

    /// An array or object: its `count` elements inline, or one per line indented below
    /// `indent` (an empty container stays "[]" / "{}").
    private static func container(_ open: String, _ close: String, _ count: Int, layout: JSONLayout, multiline: Bool,
                                  indent: Int, into out: inout String, _ element: (Int, inout String) -> Void) {
        out += open
        if multiline, count > 0 {
            for k in 0 ..< count {
                out += k > 0 ? ",\n" : "\n"
                pad(indent + 1, &out)
                element(k, &out)
            }
            out += "\n"
            pad(indent, &out)
        } else {
            for k in 0 ..< count {
                if k > 0 { out += layout == .compact ? "," : ", " }
                element(k, &out)
            }
        }
        out += close
    }

    private static func pad(_ indent: Int, _ out: inout String) {
        for _ in 0 ..< indent { out += "  " }
    }
}

/// JSON string literals.
public enum JSONString {
    /// `s` as a JSON string literal, quotes included.
    public static func quote(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count + 2)
        write(s, into: &out)
        return out
    }

    /// Appends `s` as a JSON string literal. Escapes what JSON requires (quote, backslash,
    /// control characters) and DEL, which terminals and log viewers mangle; everything
    /// else, non-ASCII included, is written as UTF-8.
    public static func write(_ s: String, into out: inout String) {
        out += "\""
        // Most strings (log fields, ids, titles) need no escaping: append them whole.
        let needsEscape = s.utf8.withContiguousStorageIfAvailable { bytes in
            bytes.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x7F }
        } ?? true
        guard needsEscape else {
            out += s
            out += "\""
            return
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count + 8)
        writeContent(s, into: &bytes)
        out += String(decoding: bytes, as: UTF8.self)
        out += "\""
    }

    /// Appends `s` as a JSON string literal to UTF-8 bytes, escaped as `write(_:into:)`
    /// (String) escapes: for callers that build bytes (the access log), no String between.
    public static func write(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        writeContent(s, into: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// The literal's content, without quotes: the one escaping rule. Bytes of multi-byte
    /// UTF-8 sequences are all >= 0x80, so escaping by byte equals escaping by scalar.
    private static func writeContent(_ s: String, into out: inout [UInt8]) {
        var s = s
        s.withUTF8 { bytes in
            var start = 0
            for (i, b) in bytes.enumerated() where b < 0x20 || b == 0x22 || b == 0x5C || b == 0x7F {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start ..< i]))
                start = i + 1
                out.append(UInt8(ascii: "\\"))
                switch b {
                case 0x22: out.append(UInt8(ascii: "\""))
                case 0x5C: out.append(UInt8(ascii: "\\"))
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "t"))
                default:
                    out.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                            hexDigits[Int(b >> 4)], hexDigits[Int(b & 15)]])
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
