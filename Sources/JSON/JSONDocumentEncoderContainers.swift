// The three containers JSONDocumentEncoder hands to a type's encode(to:): members of an
// object (keys in the file's spelling), elements of an array, and a single value.

struct DocumentKeyedEncoding<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: DocumentEncoding
    var codingPath: [CodingKey] { encoder.codingPath }

    func member(_ key: Key) -> DocumentEncoding {
        encoder.child(fileKey: encoder.keys.fileKey(key.stringValue), codingKey: key)
    }

    mutating func encodeNil(forKey key: Key) throws { member(key).set(.null) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { member(key).set(.bool(value)) }
    mutating func encode(_ value: String, forKey key: Key) throws { member(key).set(.string(value)) }
    mutating func encode(_ value: Double, forKey key: Key) throws { try member(key).setDouble(value) }
    mutating func encode(_ value: Float, forKey key: Key) throws { try member(key).setFloat(value) }
    mutating func encode(_ value: Int, forKey key: Key) throws { member(key).setInteger(value) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { member(key).setInteger(value) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { member(key).setInteger(value) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { member(key).setInteger(value) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { member(key).setInteger(value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { member(key).setInteger(value) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { member(key).setInteger(value) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { member(key).setInteger(value) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { member(key).setInteger(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { member(key).setInteger(value) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try member(key).encode(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        member(key).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer { member(key).unkeyedContainer() }
    mutating func superEncoder() -> Encoder { encoder.child(fileKey: "super", codingKey: AnyCodingKey("super")) }
    mutating func superEncoder(forKey key: Key) -> Encoder { member(key) }
}

struct DocumentUnkeyedEncoding: UnkeyedEncodingContainer {
    let encoder: DocumentEncoding
    var codingPath: [CodingKey] { encoder.codingPath }
    var count: Int {
        if case .array(let items) = encoder.slot.content { return items.count }
        return 0
    }

    mutating func encodeNil() throws { encoder.appendElement().set(.null) }
    mutating func encode(_ value: Bool) throws { encoder.appendElement().set(.bool(value)) }
    mutating func encode(_ value: String) throws { encoder.appendElement().set(.string(value)) }
    mutating func encode(_ value: Double) throws { try encoder.appendElement().setDouble(value) }
    mutating func encode(_ value: Float) throws { try encoder.appendElement().setFloat(value) }
    mutating func encode(_ value: Int) throws { encoder.appendElement().setInteger(value) }
    mutating func encode(_ value: Int8) throws { encoder.appendElement().setInteger(value) }
    mutating func encode(_ value: Int16) throws { encoder.appendElement().setInteger(value) }
    mutating func encode(_ value: Int32) throws { encoder.appendElement().setInteger(value) }
    mutating func encode(_ value: Int64) throws { encoder.appendElement().setInteger(value) }
    mutating func encode(_ value: UInt) throws { encoder.appendElement().setInteger(value) }
    mutating func encode(_ value: UInt8) throws { encoder.appendElement().setInteger(value) }
    mutating func encode(_ value: UInt16) throws { encoder.appendElement().setInteger(value) }
    mutating func encode(_ value: UInt32) throws { encoder.appendElement().setInteger(value) }
    mutating func encode(_ value: UInt64) throws { encoder.appendElement().setInteger(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try encoder.appendElement().encode(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        encoder.appendElement().container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer { encoder.appendElement().unkeyedContainer() }
    mutating func superEncoder() -> Encoder { encoder.appendElement() }
}

struct DocumentSingleValueEncoding: SingleValueEncodingContainer {
    let encoder: DocumentEncoding
    var codingPath: [CodingKey] { encoder.codingPath }

    mutating func encodeNil() throws { encoder.set(.null) }
    mutating func encode(_ value: Bool) throws { encoder.set(.bool(value)) }
    mutating func encode(_ value: String) throws { encoder.set(.string(value)) }
    mutating func encode(_ value: Double) throws { try encoder.setDouble(value) }
    mutating func encode(_ value: Float) throws { try encoder.setFloat(value) }
    mutating func encode(_ value: Int) throws { encoder.setInteger(value) }
    mutating func encode(_ value: Int8) throws { encoder.setInteger(value) }
    mutating func encode(_ value: Int16) throws { encoder.setInteger(value) }
    mutating func encode(_ value: Int32) throws { encoder.setInteger(value) }
    mutating func encode(_ value: Int64) throws { encoder.setInteger(value) }
    mutating func encode(_ value: UInt) throws { encoder.setInteger(value) }
    mutating func encode(_ value: UInt8) throws { encoder.setInteger(value) }
    mutating func encode(_ value: UInt16) throws { encoder.setInteger(value) }
    mutating func encode(_ value: UInt32) throws { encoder.setInteger(value) }
    mutating func encode(_ value: UInt64) throws { encoder.setInteger(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try encoder.encode(value) }
}
