// Typed documents (manifest.json, recipes, run files) read through the strict parser:
// repeated keys are refused, integers are exact (1.5 is no Int, 300 no UInt8), Doubles and
// Floats come from the number's text, and every error is a JSONError naming the value's
// path in the file's spelling and the byte offset of the member holding it.

public struct JSONDocumentDecoder: Sendable {
    public var keys: JSONKeyStrategy
    public var maxDepth: Int

    public init(keys: JSONKeyStrategy = .asIs, maxDepth: Int = JSONValue.defaultMaxDepth) {
        self.keys = keys
        self.maxDepth = maxDepth
    }

    /// Parses `bytes` (one JSON text) and decodes a `T` from it. Offsets in errors are
    /// `baseOffset` plus the position in `bytes` (a line's start, for JSONL).
    public func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>, baseOffset: Int = 0) throws -> T {
        let text = Array(bytes)
        let root = try text.withUnsafeBytes { try JSONValue.parse($0, baseOffset: baseOffset, maxDepth: maxDepth) }
        let start = text.firstIndex { !isJSONWhitespace($0) } ?? 0
        return try decode(type, from: root, offset: baseOffset + start)
    }

    public func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try decode(type, from: Array(text.utf8))
    }

    /// Decodes a `T` from a parsed value; `offset` is where the value began in its text.
    public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue, offset: Int = 0) throws -> T {
        try DocumentDecoding(value: value, codingPath: [], path: "", offset: offset, keys: keys).decode(type)
    }
}

func isJSONWhitespace(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 10 || b == 13 }

/// String-keyed dictionaries, whose keys are data: read member by member, unconverted.
protocol JSONStringKeyedDecodable {
    static func decodeMembers(_ node: DocumentDecoding) throws -> Self
}

extension Dictionary: JSONStringKeyedDecodable where Key == String, Value: Decodable {
    static func decodeMembers(_ node: DocumentDecoding) throws -> Self {
        guard case .object(let members) = node.value else { throw node.mismatch("object") }
        var out: [String: Value] = [:]
        out.reserveCapacity(members.count)
        for member in members {
            out[member.key] = try node.child(member: member, key: AnyCodingKey(member.key)).decode(Value.self)
        }
        return out
    }
}

/// One value of the document being decoded, and where it is.
final class DocumentDecoding: Decoder {
    let value: JSONValue
    let codingPath: [CodingKey]
    /// The path in the file's spelling ("adapters.text", "items[2]").
    let path: String
    let offset: Int
    let keys: JSONKeyStrategy
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(value: JSONValue, codingPath: [CodingKey], path: String, offset: Int, keys: JSONKeyStrategy) {
        self.value = value
        self.codingPath = codingPath
        self.path = path
        self.offset = offset
        self.keys = keys
    }

    func child(member: JSONMember, key: CodingKey) -> DocumentDecoding {
        DocumentDecoding(value: member.value, codingPath: codingPath + [key], path: Self.join(path, member.key),
                         offset: member.offset, keys: keys)
    }

    func child(element: JSONValue, index: Int) -> DocumentDecoding {
        DocumentDecoding(value: element, codingPath: codingPath + [AnyCodingKey(index)], path: path + "[\(index)]",
                         offset: offset, keys: keys)
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }

    func error(_ problem: JSONDocumentProblem, path: String? = nil) -> JSONError {
        .document(path: path ?? self.path, problem: problem, offset: offset)
    }

    /// The error for a value of the wrong JSON type (null has its own).
    func mismatch(_ expected: String) -> JSONError {
        if case .null = value { return error(.null(expected: expected)) }
        return error(.typeMismatch(expected: expected, found: value.typeName))
    }

    // MARK: Values

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if let dictionary = type as? JSONStringKeyedDecodable.Type { return try dictionary.decodeMembers(self) as! T }
        do { return try T(from: self) } catch let e as DecodingError { throw translate(e) }
    }

    func decodeBool() throws -> Bool {
        guard case .bool(let b) = value else { throw mismatch("Bool") }
        return b
    }

    func decodeString() throws -> String {
        guard case .string(let s) = value else { throw mismatch("String") }
        return s
    }

    func decodeDouble() throws -> Double {
        guard case .number(let n) = value else { throw mismatch("Double") }
        guard let d = Double(n.text), d.isFinite else { throw error(.unrepresentable(number: n.text, expected: "Double")) }
        return d
    }

    /// Straight from the text, so the Float is the one nearest the literal (no Double between).
    func decodeFloat() throws -> Float {
        guard case .number(let n) = value else { throw mismatch("Float") }
        guard let f = Float(n.text), f.isFinite else { throw error(.unrepresentable(number: n.text, expected: "Float")) }
        return f
    }

    func decodeInteger<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        guard case .number(let n) = value else { throw mismatch("\(type)") }
        guard let v = n.exactInteger(type) else { throw error(.unrepresentable(number: n.text, expected: "\(type)")) }
        return v
    }

    // MARK: Containers

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(try DocumentKeyedDecoding<Key>(self))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        guard case .array(let items) = value else { throw mismatch("array") }
        return DocumentUnkeyedDecoding(node: self, items: items)
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer { DocumentSingleValueDecoding(node: self) }

    // MARK: Errors thrown by the types themselves

    /// A DecodingError from a type's own init(from:) (an enum's unknown raw value, say) as
    /// a JSONError: its coding path, relative to this value, is found in the document.
    func translate(_ e: DecodingError) -> JSONError {
        let context: DecodingError.Context
        let problem: JSONDocumentProblem
        var trailingKey: CodingKey?
        switch e {
        case let .keyNotFound(key, c): context = c; problem = .missing; trailingKey = key
        case let .valueNotFound(type, c): context = c; problem = .null(expected: "\(type)")
        case let .typeMismatch(type, c): context = c; problem = .typeMismatch(expected: "\(type)", found: "")
        case let .dataCorrupted(c): context = c; problem = .invalid(c.debugDescription)
        @unknown default: return error(.invalid("\(e)"))
        }
        var node = self
        var path = self.path
        let relative = context.codingPath.count > codingPath.count ? Array(context.codingPath.dropFirst(codingPath.count)) : []
        var unresolved = relative + (trailingKey.map { [$0] } ?? [])
        while let key = unresolved.first {
            unresolved.removeFirst()
            if let index = key.intValue, case .array(let items) = node.value, items.indices.contains(index) {
                node = node.child(element: items[index], index: index)
                path = node.path
            } else if case .object(let members) = node.value,
                      let member = members.first(where: { keys.propertyName($0.key) == key.stringValue }) {
                node = node.child(member: member, key: key)
                path = node.path
            } else {
                path = key.intValue.map { path + "[\($0)]" } ?? Self.join(path, keys.fileKey(key.stringValue))
                path = unresolved.reduce(path) { p, k in k.intValue.map { p + "[\($0)]" } ?? Self.join(p, keys.fileKey(k.stringValue)) }
                break
            }
        }
        if case let .typeMismatch(expected, _) = problem {
            return node.error(.typeMismatch(expected: expected, found: node.value.typeName), path: path)
        }
        return node.error(problem, path: path)
    }
}

/// A coding key for array indices and dictionary members.
struct AnyCodingKey: CodingKey {
    let stringValue: String
    let intValue: Int?
    init(_ string: String) { stringValue = string; intValue = nil }
    init(_ index: Int) { stringValue = "Index \(index)"; intValue = index }
    init?(stringValue: String) { self.init(stringValue) }
    init?(intValue: Int) { self.init(intValue) }
}
