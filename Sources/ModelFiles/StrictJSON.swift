// A small strict JSON (RFC 8259) parser for the metadata files HDRec reads:
// safetensors headers and PEFT adapter_config.json. Unlike JSONSerialization it
// rejects duplicate object keys at any depth (the safetensors reference only warns
// that "not all parsers may respect this"), keeps object member order, keeps number
// literals exact (u64 offsets must not pass through Double), bounds nesting depth,
// and reports every error with its byte offset.

enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The number literal as written (validated against the JSON grammar).
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in document order with the byte offset of each key.
    case object([JSONMember])

    var stringValue: String? { if case let .string(s) = self { return s } else { return nil } }
    var boolValue: Bool? { if case let .bool(b) = self { return b } else { return nil } }
    var arrayValue: [JSONValue]? { if case let .array(a) = self { return a } else { return nil } }
    var objectValue: [JSONMember]? { if case let .object(o) = self { return o } else { return nil } }

    /// A non-negative integer literal that fits in UInt64.
    var uint64Value: UInt64? { if case let .number(n) = self { return UInt64(n) } else { return nil } }
    /// An integer literal that fits in Int.
    var intValue: Int? { if case let .number(n) = self { return Int(n) } else { return nil } }
    var doubleValue: Double? { if case let .number(n) = self { return Double(n) } else { return nil } }

    subscript(key: String) -> JSONValue? { objectValue?.first { $0.key == key }?.value }
}

struct JSONMember: Equatable, Sendable {
    var key: String
    var value: JSONValue
    var offset: Int
}

struct StrictJSON {
    static let maxDepth = 64

    private let bytes: UnsafeRawBufferPointer
    private let base: Int
    private var i = 0

    /// Parses one JSON document filling `bytes` (trailing whitespace allowed).
    /// Offsets in errors are `base` + the position in `bytes`.
    static func parse(_ bytes: UnsafeRawBufferPointer, baseOffset: Int = 0) throws -> JSONValue {
        var p = StrictJSON(bytes: bytes, base: baseOffset)
        p.skipWhitespace()
        let v = try p.value(depth: 0)
        p.skipWhitespace()
        guard p.i == bytes.count else { throw p.fail("unexpected data after the JSON value") }
        return v
    }

    static func parse(_ text: String) throws -> JSONValue {
        var copy = text
        return try copy.withUTF8 { try parse(UnsafeRawBufferPointer($0)) }
    }

    private init(bytes: UnsafeRawBufferPointer, base: Int) {
        self.bytes = bytes
        self.base = base
    }

    private func fail(_ reason: String, at pos: Int? = nil) -> ModelFilesError {
        .invalidJSON(reason: reason, offset: base + (pos ?? i))
    }

    private var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

    private mutating func skipWhitespace() {
        while let c = peek, c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09 { i += 1 }
    }

    private mutating func expect(_ literal: String) throws {
        for c in literal.utf8 {
            guard peek == c else { throw fail("expected \"\(literal)\"") }
            i += 1
        }
    }

    private mutating func value(depth: Int) throws -> JSONValue {
        guard depth < Self.maxDepth else { throw fail("nested deeper than \(Self.maxDepth) levels") }
        guard let c = peek else { throw fail("unexpected end of JSON") }
        switch c {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0") ... UInt8(ascii: "9"): return .number(try number())
        default: throw fail("unexpected character '\(Character(Unicode.Scalar(c)))'")
        }
    }

    private mutating func object(depth: Int) throws -> JSONValue {
        i += 1
        var members: [JSONMember] = []
        var seen = Set<String>()
        skipWhitespace()
        if peek == UInt8(ascii: "}") { i += 1; return .object([]) }
        while true {
            skipWhitespace()
            let keyAt = i
            guard peek == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let key = try string()
            guard seen.insert(key).inserted else { throw ModelFilesError.duplicateKey(key: key, offset: base + keyAt) }
            skipWhitespace()
            try expect(":")
            skipWhitespace()
            members.append(JSONMember(key: key, value: try value(depth: depth + 1), offset: base + keyAt))
            skipWhitespace()
            guard let c = peek else { throw fail("unterminated object") }
            i += 1
            if c == UInt8(ascii: "}") { return .object(members) }
            guard c == UInt8(ascii: ",") else { throw fail("expected ',' or '}'", at: i - 1) }
        }
    }

    private mutating func array(depth: Int) throws -> JSONValue {
        i += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if peek == UInt8(ascii: "]") { i += 1; return .array([]) }
        while true {
            skipWhitespace()
            items.append(try value(depth: depth + 1))
            skipWhitespace()
            guard let c = peek else { throw fail("unterminated array") }
            i += 1
            if c == UInt8(ascii: "]") { return .array(items) }
            guard c == UInt8(ascii: ",") else { throw fail("expected ',' or ']'", at: i - 1) }
        }
    }

    private mutating func number() throws -> String {
        let start = i
        if peek == UInt8(ascii: "-") { i += 1 }
        guard let first = peek, first >= 0x30, first <= 0x39 else { throw fail("invalid number") }
        if first == 0x30 { i += 1 } else { while let c = peek, c >= 0x30, c <= 0x39 { i += 1 } }
        if peek == UInt8(ascii: ".") {
            i += 1
            guard let c = peek, c >= 0x30, c <= 0x39 else { throw fail("invalid number fraction") }
            while let c = peek, c >= 0x30, c <= 0x39 { i += 1 }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            i += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { i += 1 }
            guard let c = peek, c >= 0x30, c <= 0x39 else { throw fail("invalid number exponent") }
            while let c = peek, c >= 0x30, c <= 0x39 { i += 1 }
        }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start ..< i]), as: UTF8.self)
    }

    private mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count else { throw fail("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0 ..< 4 {
            let c = bytes[i]
            let d: UInt8
            switch c {
            case 0x30 ... 0x39: d = c - 0x30
            case 0x41 ... 0x46: d = c - 0x41 + 10
            case 0x61 ... 0x66: d = c - 0x61 + 10
            default: throw fail("invalid \\u escape")
            }
            v = v << 4 | UInt32(d)
            i += 1
        }
        return v
    }

    private mutating func string() throws -> String {
        let start = i
        i += 1
        var out: [UInt8] = []
        while true {
            guard let c = peek else { throw fail("unterminated string", at: start) }
            i += 1
            switch c {
            case UInt8(ascii: "\""):
                guard let s = String(validating: out, as: UTF8.self) else { throw fail("string is not valid UTF-8", at: start) }
                return s
            case UInt8(ascii: "\\"):
                guard let e = peek else { throw fail("unterminated escape") }
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0c)
                case UInt8(ascii: "n"): out.append(0x0a)
                case UInt8(ascii: "r"): out.append(0x0d)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xd800 ..< 0xdc00).contains(code) {
                        guard peek == UInt8(ascii: "\\"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "u") else {
                            throw fail("unpaired surrogate in \\u escape")
                        }
                        i += 2
                        let low = try hex4()
                        guard (0xdc00 ..< 0xe000).contains(low) else { throw fail("invalid low surrogate") }
                        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw fail("invalid \\u escape (lone surrogate)") }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: throw fail("invalid escape '\\\(Character(Unicode.Scalar(e)))'")
                }
            case 0x00 ..< 0x20: throw fail("control character in string", at: i - 1)
            default: out.append(c)
            }
        }
    }

    /// `s` as a JSON string literal (quotes included).
    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let h = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
