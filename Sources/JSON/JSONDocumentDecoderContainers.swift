// The three containers JSONDocumentDecoder hands to a type's init(from:): an object's
// members by property name, an array's elements in order, and the value itself.

struct DocumentKeyedDecoding<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let node: DocumentDecoding
    /// Members by the property name they stand for (the key strategy applied).
    let members: [String: JSONMember]
    let order: [String]

    init(_ node: DocumentDecoding) throws {
        guard case .object(let list) = node.value else { throw node.mismatch("object") }
        self.node = node
        var members: [String: JSONMember] = [:]
        var order: [String] = []
        for member in list {
            let name = node.keys.propertyName(member.key)
            // Two spellings of one property ("item_count" and "itemCount") are a repeated key.
            guard members[name] == nil else {
                throw JSONError.duplicateKey(key: member.key, offset: member.offset, end: member.offset + member.key.utf8.count + 2)
            }
            members[name] = member
            order.append(name)
        }
        self.members = members
        self.order = order
    }

    var codingPath: [CodingKey] { node.codingPath }
    var allKeys: [Key] { order.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

    func child(_ key: CodingKey) throws -> DocumentDecoding {
        guard let member = members[key.stringValue] else {
            throw node.error(.missing, path: DocumentDecoding.join(node.path, node.keys.fileKey(key.stringValue)))
        }
        return node.child(member: member, key: key)
    }

    func decodeNil(forKey key: Key) throws -> Bool { try child(key).value == .null }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try child(key).decodeBool() }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try child(key).decodeString() }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try child(key).decodeDouble() }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try child(key).decodeFloat() }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try child(key).decodeInteger(type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try child(key).decodeInteger(type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try child(key).decodeInteger(type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try child(key).decodeInteger(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try child(key).decodeInteger(type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try child(key).decodeInteger(type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try child(key).decodeInteger(type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try child(key).decodeInteger(type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try child(key).decodeInteger(type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try child(key).decodeInteger(type) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try child(key).decode(type) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try child(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer { try child(key).unkeyedContainer() }

    /// A superclass's members, under "super" (where Foundation's encoders put them).
    func superDecoder() throws -> Decoder { try child(AnyCodingKey("super")) }
    func superDecoder(forKey key: Key) throws -> Decoder { try child(key) }
}

struct DocumentUnkeyedDecoding: UnkeyedDecodingContainer {
    let node: DocumentDecoding
    let items: [JSONValue]
    var currentIndex = 0

    init(node: DocumentDecoding, items: [JSONValue]) {
        self.node = node
        self.items = items
    }

    var codingPath: [CodingKey] { node.codingPath }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    /// The next element, consumed.
    mutating func next() throws -> DocumentDecoding {
        guard !isAtEnd else {
            throw node.error(.invalid("the array has only \(items.count) elements"), path: node.path + "[\(currentIndex)]")
        }
        defer { currentIndex += 1 }
        return node.child(element: items[currentIndex], index: currentIndex)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, items[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try next().decodeBool() }
    mutating func decode(_ type: String.Type) throws -> String { try next().decodeString() }
    mutating func decode(_ type: Double.Type) throws -> Double { try next().decodeDouble() }
    mutating func decode(_ type: Float.Type) throws -> Float { try next().decodeFloat() }
    mutating func decode(_ type: Int.Type) throws -> Int { try next().decodeInteger(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try next().decodeInteger(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try next().decodeInteger(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try next().decodeInteger(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try next().decodeInteger(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try next().decodeInteger(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next().decodeInteger(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next().decodeInteger(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next().decodeInteger(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next().decodeInteger(type) }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decode(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer { try next().unkeyedContainer() }
    mutating func superDecoder() throws -> Decoder { try next() }
}

struct DocumentSingleValueDecoding: SingleValueDecodingContainer {
    let node: DocumentDecoding
    var codingPath: [CodingKey] { node.codingPath }

    func decodeNil() -> Bool { node.value == .null }
    func decode(_ type: Bool.Type) throws -> Bool { try node.decodeBool() }
    func decode(_ type: String.Type) throws -> String { try node.decodeString() }
    func decode(_ type: Double.Type) throws -> Double { try node.decodeDouble() }
    func decode(_ type: Float.Type) throws -> Float { try node.decodeFloat() }
    func decode(_ type: Int.Type) throws -> Int { try node.decodeInteger(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try node.decodeInteger(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try node.decodeInteger(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try node.decodeInteger(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try node.decodeInteger(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try node.decodeInteger(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try node.decodeInteger(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try node.decodeInteger(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try node.decodeInteger(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try node.decodeInteger(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try node.decode(type) }
}
