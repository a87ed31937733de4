// Typed documents written as JSONValue, then as text by the one serializer (so they read
// back through the strict parser byte for byte): keys in the type's or snake_case
// spelling, optionally sorted, slashes never escaped. Numbers keep their exact value:
// integers as integers, Doubles and Floats in the shortest text that reads back as the
// same value (integral values below 1e15 without a fraction); NaN and infinities, which
// JSON cannot hold, are refused.

public struct JSONDocumentEncoder: Sendable {
    public var keys: JSONKeyStrategy
    public var layout: JSONLayout
    /// Members of every object in byte order of their keys (stable files, readable diffs).
    public var sortedKeys: Bool

    public init(keys: JSONKeyStrategy = .asIs, layout: JSONLayout = .compact, sortedKeys: Bool = false) {
        self.keys = keys
        self.layout = layout
        self.sortedKeys = sortedKeys
    }

    /// The JSON text of `value`.
    public func encode<T: Encodable>(_ value: T) throws -> String {
        try encodeValue(value).serialized(layout)
    }

    /// `value` as a JSONValue (keys converted and, when asked, sorted).
    public func encodeValue<T: Encodable>(_ value: T) throws -> JSONValue {
        let root = EncodingSlot()
        try DocumentEncoding(slot: root, codingPath: [], keys: keys).encode(value)
        let tree = root.value
        return sortedKeys ? tree.sortedByKey() : tree
    }
}

extension JSONValue {
    /// The value with every object's members in byte order of their keys.
    public func sortedByKey() -> JSONValue {
        switch self {
        case .array(let items): return .array(items.map { $0.sortedByKey() })
        case .object(let members):
            return .object(members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                .map { JSONMember($0.key, $0.value.sortedByKey(), offset: $0.offset) })
        default: return self
        }
    }
}

/// String-keyed dictionaries, whose keys are data: written as they are, unconverted.
protocol JSONStringKeyedEncodable {
    func encodeMembers(_ encoder: DocumentEncoding) throws
}

extension Dictionary: JSONStringKeyedEncodable where Key == String, Value: Encodable {
    func encodeMembers(_ encoder: DocumentEncoding) throws {
        encoder.slot.content = .object(keys: [], slots: [:])
        for (key, value) in self {
            try encoder.child(fileKey: key, codingKey: AnyCodingKey(key)).encode(value)
        }
    }
}

/// A value being built: containers fill it in place, as nested types encode.
final class EncodingSlot {
    enum Content {
        case empty
        case scalar(JSONValue)
        case object(keys: [String], slots: [String: EncodingSlot])
        case array([EncodingSlot])
    }
    var content: Content = .empty

    var value: JSONValue {
        switch content {
        case .empty: return .object([JSONMember]())   // a type that wrote nothing: {}, as Foundation writes it
        case .scalar(let v): return v
        case let .object(keys, slots): return .object(keys.map { JSONMember($0, slots[$0]!.value) })
        case .array(let items): return .array(items.map(\.value))
        }
    }
}

final class DocumentEncoding: Encoder {
    let slot: EncodingSlot
    let codingPath: [CodingKey]
    let keys: JSONKeyStrategy
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(slot: EncodingSlot, codingPath: [CodingKey], keys: JSONKeyStrategy) {
        self.slot = slot
        self.codingPath = codingPath
        self.keys = keys
    }

    /// The member `fileKey` of this (object) slot, created or replaced.
    func child(fileKey: String, codingKey: CodingKey) -> DocumentEncoding {
        var (order, slots): ([String], [String: EncodingSlot]) = ([], [:])
        // Taken out before the change, so the arrays stay uniquely held and grow in place.
        if case let .object(k, s) = slot.content { (order, slots) = (k, s) }
        slot.content = .empty
        let member = EncodingSlot()
        if slots.updateValue(member, forKey: fileKey) == nil { order.append(fileKey) }
        slot.content = .object(keys: order, slots: slots)
        return DocumentEncoding(slot: member, codingPath: codingPath + [codingKey], keys: keys)
    }

    /// A new last element of this (array) slot.
    func appendElement() -> DocumentEncoding {
        var items: [EncodingSlot] = []
        if case .array(let existing) = slot.content { items = existing }
        slot.content = .empty
        let element = EncodingSlot()
        items.append(element)
        slot.content = .array(items)
        return DocumentEncoding(slot: element, codingPath: codingPath + [AnyCodingKey(items.count - 1)], keys: keys)
    }

    var path: String {
        codingPath.reduce("") { p, k in k.intValue.map { p + "[\($0)]" } ?? DocumentDecoding.join(p, keys.fileKey(k.stringValue)) }
    }

    func encode<T: Encodable>(_ value: T) throws {
        if let dictionary = value as? JSONStringKeyedEncodable { return try dictionary.encodeMembers(self) }
        try value.encode(to: self)
    }

    func set(_ value: JSONValue) { slot.content = .scalar(value) }

    func setDouble(_ d: Double) throws {
        guard d.isFinite else { throw JSONError.unencodable(path: path, reason: "\(d) is not a JSON number") }
        set(.number(JSONNumber(d)!))
    }

    func setFloat(_ f: Float) throws {
        guard f.isFinite else { throw JSONError.unencodable(path: path, reason: "\(f) is not a JSON number") }
        // Integral values print without a fraction, as Doubles do; others in Float's own shortest form.
        set(.number(f == f.rounded() && abs(f) < 1e15 ? JSONNumber(Int(f)) : JSONNumber(shortest: f)!))
    }

    func setInteger<T: FixedWidthInteger>(_ v: T) { set(.number(JSONNumber(validated: String(v)))) }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = slot.content {} else { slot.content = .object(keys: [], slots: [:]) }
        return KeyedEncodingContainer(DocumentKeyedEncoding<Key>(encoder: self))
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer {
        if case .array = slot.content {} else { slot.content = .array([]) }
        return DocumentUnkeyedEncoding(encoder: self)
    }

    func singleValueContainer() -> SingleValueEncodingContainer { DocumentSingleValueEncoding(encoder: self) }
}
