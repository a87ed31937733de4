// Strict parser for GGUF v2/v3 (ggml docs/gguf.md; ggml/src/gguf.cpp for the rules
// the reference reader enforces). Layout, all little-endian:
//   magic u32 "GGUF" | version u32 | tensor_count u64 | kv_count u64
//   kv_count x { key: string, type: u32, value }          string = u64 length + UTF-8 bytes
//   tensor_count x { name: string, n_dims: u32, ne: u64[n_dims], type: u32, offset: u64 }
//   zero padding to `general.alignment` (default 32), then the data section;
//   each tensor's offset is relative to the data section and a multiple of the alignment.
// Every count and length is checked against the bytes that remain before anything is
// allocated from it; every failure is a `ModelFilesError` naming the field and offset.
import Quant

struct GGUFParsed {
    var version: UInt32 = 0
    var keys: [String] = []
    var metadata: [String: GGUFValue] = [:]
    var tensors: [GGUFTensorInfo] = []
    var alignment = GGUFFile.defaultAlignment
    var dataOffset = 0
    var headerEnd = 0
}

enum GGUFParser {
    static let magic: UInt32 = 0x4655_4747  // "GGUF" read as little-endian u32
    static let maxDims = 4
    static let maxNesting = 8
    /// Smallest encoded tensor-info entry: empty name (8) + n_dims (4) + type (4) + offset (8).
    static let minTensorInfoSize = 24
    /// Smallest encoded key-value pair: empty key (8) + type (4) + a 1-byte value.
    static let minKVSize = 13

    static func parse(_ bytes: UnsafeRawBufferPointer) throws -> GGUFParsed {
        var r = ByteReader(bytes)
        var out = GGUFParsed()

        let magicAt = r.offset
        let magic = try r.read(UInt32.self, "magic")
        guard magic == Self.magic else { throw ModelFilesError.badMagic(found: magic, offset: magicAt) }
        let versionAt = r.offset
        out.version = try r.read(UInt32.self, "version")
        guard out.version == 2 || out.version == 3 else {
            throw ModelFilesError.unsupportedVersion(found: out.version, offset: versionAt)
        }

        let tensorCountAt = r.offset
        let tensorCount = try r.read(UInt64.self, "tensor_count")
        let kvCountAt = r.offset
        let kvCount = try r.read(UInt64.self, "metadata_kv_count")
        // Both tables must fit in what is left: bound each count before looping on it.
        let tensorLimit = UInt64(r.remaining / minTensorInfoSize)
        guard tensorCount <= tensorLimit else {
            throw ModelFilesError.countTooLarge(field: "tensor_count", count: tensorCount, offset: tensorCountAt, limit: tensorLimit)
        }
        let kvLimit = UInt64(r.remaining / minKVSize)
        guard kvCount <= kvLimit else {
            throw ModelFilesError.countTooLarge(field: "metadata_kv_count", count: kvCount, offset: kvCountAt, limit: kvLimit)
        }

        // MARK: metadata
        out.keys.reserveCapacity(Int(kvCount))
        for i in 0 ..< Int(kvCount) {
            let keyAt = r.offset
            let key = try r.readString("key of metadata pair #\(i)")
            guard out.metadata[key] == nil else { throw ModelFilesError.duplicateKey(key: key, offset: keyAt) }
            let typeAt = r.offset
            let typeID = try r.read(UInt32.self, "value type of \(key)")
            guard let type = GGUFValueType(rawValue: typeID) else {
                throw ModelFilesError.unknownValueType(field: key, typeID: typeID, offset: typeAt)
            }
            let valueAt = r.offset
            let value = try readValue(&r, type: type, field: key, depth: 0)
            if key == "general.alignment" {
                guard case let .uint32(a) = value else {
                    throw ModelFilesError.wrongValueType(key: key, expected: "uint32", found: type.description, offset: typeAt)
                }
                guard a != 0, a & (a - 1) == 0 else { throw ModelFilesError.invalidAlignment(value: UInt64(a), offset: valueAt) }
                out.alignment = Int(a)
            }
            out.keys.append(key)
            out.metadata[key] = value
        }

        // MARK: tensor infos
        struct Pending { var name: String; var type: GGMLType; var shape: [Int]; var rel: UInt64; var bytes: Int; var offsetFieldAt: Int }
        var pending: [Pending] = []
        pending.reserveCapacity(Int(tensorCount))
        var names = Set<String>()
        for i in 0 ..< Int(tensorCount) {
            let nameAt = r.offset
            let name = try r.readString("name of tensor #\(i)")
            guard names.insert(name).inserted else { throw ModelFilesError.duplicateTensor(name: name, offset: nameAt) }
            let nDimsAt = r.offset
            let nDims = try r.read(UInt32.self, "n_dims of tensor \(name)")
            guard nDims <= UInt32(maxDims) else {
                throw ModelFilesError.tooManyDimensions(tensor: name, nDims: nDims, offset: nDimsAt)
            }
            var shape: [Int] = []
            var elements = 1
            for d in 0 ..< Int(nDims) {
                let dimAt = r.offset
                let v = try r.read(UInt64.self, "ne[\(d)] of tensor \(name)")
                guard v <= UInt64(Int64.max) else {
                    throw ModelFilesError.invalidDimension(tensor: name, index: d, value: v, offset: dimAt)
                }
                let (p, overflow) = elements.multipliedReportingOverflow(by: Int(v))
                guard !overflow else { throw ModelFilesError.dimensionOverflow(tensor: name, offset: nDimsAt) }
                elements = p
                shape.append(Int(v))
            }
            let typeAt = r.offset
            let typeID = try r.read(UInt32.self, "type of tensor \(name)")
            guard let type = GGMLType(rawValue: typeID) else {
                throw ModelFilesError.unknownTensorType(tensor: name, typeID: typeID, offset: typeAt)
            }
            let rowLength = shape.first ?? 1
            guard let rowBytes = type.rowSize(rowLength) else {
                throw ModelFilesError.rowNotBlockAligned(tensor: name, type: type, rowLength: rowLength, offset: nDimsAt + 4)
            }
            let rows = rowLength == 0 ? 0 : elements / rowLength
            let (bytes, overflow) = rowBytes.multipliedReportingOverflow(by: rows)
            guard !overflow else { throw ModelFilesError.dimensionOverflow(tensor: name, offset: nDimsAt) }
            let offsetAt = r.offset
            let rel = try r.read(UInt64.self, "offset of tensor \(name)")
            guard rel % UInt64(out.alignment) == 0 else {
                throw ModelFilesError.misalignedTensorOffset(tensor: name, dataOffset: rel, alignment: out.alignment, offset: offsetAt)
            }
            pending.append(Pending(name: name, type: type, shape: shape, rel: rel, bytes: bytes, offsetFieldAt: offsetAt))
        }

        // MARK: data section
        let fileSize = bytes.count
        out.headerEnd = r.offset
        out.dataOffset = alignUp(r.offset, out.alignment)
        for p in pending {
            let (start, o1) = UInt64(out.dataOffset).addingReportingOverflow(p.rel)
            let (end, o2) = start.addingReportingOverflow(UInt64(p.bytes))
            guard !o1, !o2, end <= UInt64(fileSize) else {
                throw ModelFilesError.tensorPastEnd(tensor: p.name, start: start, end: end, fileSize: fileSize, offset: p.offsetFieldAt)
            }
            out.tensors.append(GGUFTensorInfo(name: p.name, type: p.type, shape: p.shape, offset: Int(start), byteCount: p.bytes))
        }
        let byStart = out.tensors.filter { $0.byteCount > 0 }.sorted { $0.offset < $1.offset }
        for (a, b) in zip(byStart, byStart.dropFirst()) where b.offset < a.offset + a.byteCount {
            throw ModelFilesError.overlappingTensors(first: a.name, second: b.name, offset: b.offset)
        }
        return out
    }

    static func alignUp(_ n: Int, _ alignment: Int) -> Int {
        (n + alignment - 1) / alignment * alignment
    }

    private static func readValue(_ r: inout ByteReader, type: GGUFValueType, field: String, depth: Int) throws -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try r.read(UInt8.self, field))
        case .int8: return .int8(try r.read(Int8.self, field))
        case .uint16: return .uint16(try r.read(UInt16.self, field))
        case .int16: return .int16(try r.read(Int16.self, field))
        case .uint32: return .uint32(try r.read(UInt32.self, field))
        case .int32: return .int32(try r.read(Int32.self, field))
        case .uint64: return .uint64(try r.read(UInt64.self, field))
        case .int64: return .int64(try r.read(Int64.self, field))
        case .float32: return .float32(try r.readFloat(field))
        case .float64: return .float64(try r.readDouble(field))
        case .bool:
            let at = r.offset
            let b = try r.read(UInt8.self, field)
            guard b <= 1 else { throw ModelFilesError.invalidBool(field: field, value: b, offset: at) }
            return .bool(b == 1)
        case .string: return .string(try r.readString(field))
        case .array:
            let typeAt = r.offset
            guard depth < maxNesting else { throw ModelFilesError.nestingTooDeep(field: field, offset: typeAt) }
            let elemID = try r.read(UInt32.self, "\(field) element type")
            guard let elem = GGUFValueType(rawValue: elemID) else {
                throw ModelFilesError.unknownValueType(field: field, typeID: elemID, offset: typeAt)
            }
            let countAt = r.offset
            let count = try r.read(UInt64.self, "\(field) element count")
            let limit = UInt64(r.remaining / elem.minimumSize)
            guard count <= limit else {
                throw ModelFilesError.countTooLarge(field: "\(field) array length", count: count, offset: countAt, limit: limit)
            }
            var values: [GGUFValue] = []
            values.reserveCapacity(Int(count))
            for _ in 0 ..< Int(count) {
                values.append(try readValue(&r, type: elem, field: field, depth: depth + 1))
            }
            return .array(elementType: elem, values: values)
        }
    }
}
