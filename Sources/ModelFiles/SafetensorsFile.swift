// A safetensors file (huggingface/safetensors README and src/tensor.rs; the strict
// rules and the error each breaks: docs/model-files.md "safetensors"), memory-mapped
// read-only. Layout:
//   [0..8)      N: u64 little-endian, byte length of the JSON header (<= 100,000,000)
//   [8..8+N)    UTF-8 JSON: {"name": {"dtype", "shape", "data_offsets": [BEGIN, END]}, ...,
//               "__metadata__": {str: str}}
//   [8+N..EOF)  the data buffer; offsets are relative to its start, END exclusive.
// Validation: header length bounds, UTF-8, strict JSON without duplicate keys,
// known dtypes, non-negative shapes, dtype x shape = END - BEGIN (checked
// arithmetic), tensors sorted by BEGIN tile the buffer from 0 with no gap or
// overlap, and the buffer ends exactly at the end of the file.
import Foundation
import JSON
import Quant

/// One tensor of a safetensors file.
public struct SafetensorsTensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: SafetensorsDType
    /// Row-major (C order) dimensions, outermost first, as PyTorch writes them.
    public let shape: [Int]
    /// `data_offsets` as stored: relative to the data buffer, END exclusive.
    public let dataOffsets: (begin: Int, end: Int)
    /// Absolute offset of the first byte in the file.
    public let offset: Int
    public var byteCount: Int { dataOffsets.end - dataOffsets.begin }
    public var elementCount: Int { shape.reduce(1, *) }

    public static func == (a: Self, b: Self) -> Bool {
        a.name == b.name && a.dtype == b.dtype && a.shape == b.shape && a.dataOffsets == b.dataOffsets && a.offset == b.offset
    }
}

public final class SafetensorsFile: Sendable {
    /// Largest JSON header accepted (the limit of the safetensors library's own reader).
    public static let maxHeaderLength: UInt64 = 100_000_000

    /// Tensor names in header order.
    public let tensorNames: [String]
    /// The `__metadata__` map (empty when absent).
    public let metadata: [String: String]
    /// Byte length N of the JSON header.
    public let headerLength: Int
    /// Absolute offset of the data buffer (8 + N).
    public var dataOffset: Int { 8 + headerLength }
    public var fileSize: Int { storage.count }

    private let infos: [String: SafetensorsTensorInfo]
    private let storage: MappedBytes

    public convenience init(path: String) throws {
        try self.init(storage: MappedBytes(path: path))
    }

    public convenience init(data: Data) throws {
        try self.init(storage: MappedBytes(data: data))
    }

    private init(storage: MappedBytes) throws {
        self.storage = storage
        let parsed = try Self.parse(storage.buffer)
        tensorNames = parsed.names
        metadata = parsed.metadata
        headerLength = parsed.headerLength
        infos = parsed.infos
    }

    /// All tensors in header order.
    public var tensors: [SafetensorsTensorInfo] { tensorNames.compactMap { infos[$0] } }

    public func tensor(named name: String) -> SafetensorsTensorInfo? { infos[name] }

    /// Zero-copy view of a tensor's bytes, valid while this file object lives.
    public func bytes(of info: SafetensorsTensorInfo) -> UnsafeRawBufferPointer {
        let all = storage.buffer
        let start = max(0, min(info.offset, all.count))
        let end = max(start, min(info.offset + info.byteCount, all.count))
        return UnsafeRawBufferPointer(rebasing: all[start ..< end])
    }

    /// The tensor's values converted to f32 (F16 and BF16 exactly, integers by value).
    public func floats(named name: String) throws -> [Float] {
        guard let info = infos[name] else { throw ModelFilesError.unknownTensor(name: name) }
        return try floats(of: info)
    }

    public func floats(of info: SafetensorsTensorInfo) throws -> [Float] {
        let raw = bytes(of: info)
        let n = info.elementCount
        guard let p = raw.baseAddress, n > 0 else { return [] }
        func map<T>(_: T.Type, _ f: (T) -> Float) -> [Float] {
            (0 ..< n).map { f(p.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self)) }
        }
        switch info.dtype {
        case .f32: return map(Float.self) { $0 }
        case .f16: return map(UInt16.self) { HalfPrecision.f16ToF32(UInt16(littleEndian: $0)) }
        case .bf16: return map(UInt16.self) { HalfPrecision.bf16ToF32(UInt16(littleEndian: $0)) }
        case .f64: return map(Double.self) { Float($0) }
        case .u8: return map(UInt8.self) { Float($0) }
        case .bool: return map(UInt8.self) { $0 != 0 ? 1 : 0 }
        case .i8: return map(Int8.self) { Float($0) }
        case .i16: return map(Int16.self) { Float(Int16(littleEndian: $0)) }
        case .u16: return map(UInt16.self) { Float(UInt16(littleEndian: $0)) }
        case .i32: return map(Int32.self) { Float(Int32(littleEndian: $0)) }
        case .u32: return map(UInt32.self) { Float(UInt32(littleEndian: $0)) }
        case .i64: return map(Int64.self) { Float(Int64(littleEndian: $0)) }
        case .u64: return map(UInt64.self) { Float(UInt64(littleEndian: $0)) }
        default: throw ModelFilesError.unsupportedConversion(tensor: info.name, dtype: info.dtype.rawValue)
        }
    }

    // MARK: - Parsing

    private struct Parsed {
        var names: [String] = []
        var metadata: [String: String] = [:]
        var headerLength = 0
        var infos: [String: SafetensorsTensorInfo] = [:]
    }

    private static func parse(_ bytes: UnsafeRawBufferPointer) throws -> Parsed {
        let size = bytes.count
        guard size >= 8, let base = bytes.baseAddress else { throw ModelFilesError.headerTooSmall(fileSize: size) }
        let n = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
        guard n <= maxHeaderLength else { throw ModelFilesError.headerTooLarge(length: n, limit: maxHeaderLength) }
        guard 8 + n <= UInt64(size) else { throw ModelFilesError.invalidHeaderLength(length: n, fileSize: size) }
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[8 ..< 8 + Int(n)])
        guard String(validating: headerBytes, as: UTF8.self) != nil else {
            throw ModelFilesError.invalidUTF8(field: "safetensors header", offset: 8)
        }
        let json: JSONValue
        do { json = try JSONValue.parse(headerBytes, baseOffset: 8) } catch let e as JSONError { throw ModelFilesError(json: e) }
        guard let members = json.objectValue else {
            throw ModelFilesError.invalidJSON(reason: "the header is not a JSON object", offset: 8)
        }
        var out = Parsed()
        out.headerLength = Int(n)
        let dataStart = 8 + Int(n)
        var entries: [SafetensorsTensorInfo] = []
        var entryAt: [String: Int] = [:]
        for m in members {
            if m.key == "__metadata__" {
                guard let meta = m.value.objectValue else {
                    throw ModelFilesError.invalidTensorEntry(tensor: m.key, field: "__metadata__", reason: "not an object", offset: m.offset)
                }
                for kv in meta {
                    guard let s = kv.value.stringValue else { throw ModelFilesError.metadataNotString(key: kv.key, offset: kv.offset) }
                    out.metadata[kv.key] = s
                }
                continue
            }
            let info = try tensorInfo(m, dataStart: dataStart)
            entries.append(info)
            entryAt[m.key] = m.offset
            out.names.append(m.key)
            out.infos[m.key] = info
        }
        // Tiling: sorted by BEGIN (then END, so empty tensors sort first), each BEGIN is the previous END.
        var expected = 0
        for t in entries.sorted(by: { ($0.dataOffsets.begin, $0.dataOffsets.end) < ($1.dataOffsets.begin, $1.dataOffsets.end) }) {
            guard t.dataOffsets.begin == expected else {
                throw ModelFilesError.invalidDataOffsets(tensor: t.name, begin: UInt64(t.dataOffsets.begin), end: UInt64(t.dataOffsets.end),
                                                         expectedBegin: UInt64(expected), offset: entryAt[t.name] ?? 8)
            }
            expected = t.dataOffsets.end
        }
        let (total, overflow) = UInt64(dataStart).addingReportingOverflow(UInt64(expected))
        guard !overflow, total == UInt64(size) else {
            throw ModelFilesError.incompleteBuffer(expectedFileSize: total, fileSize: size)
        }
        return out
    }

    private static func tensorInfo(_ m: JSONMember, dataStart: Int) throws -> SafetensorsTensorInfo {
        let name = m.key
        func bad(_ field: String, _ reason: String) -> ModelFilesError {
            .invalidTensorEntry(tensor: name, field: field, reason: reason, offset: m.offset)
        }
        guard m.value.objectValue != nil else { throw bad("entry", "not an object") }
        guard let dtypeValue = m.value["dtype"] else { throw bad("dtype", "missing") }
        guard let dtypeName = dtypeValue.stringValue else { throw bad("dtype", "not a string") }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw ModelFilesError.unknownDType(tensor: name, dtype: dtypeName, offset: m.offset)
        }
        guard let shapeValue = m.value["shape"] else { throw bad("shape", "missing") }
        guard let dims = shapeValue.arrayValue else { throw bad("shape", "not an array") }
        var shape: [Int] = []
        var elements: UInt64 = 1
        for d in dims {
            guard let v = d.uint64Value, v <= UInt64(Int.max) else { throw bad("shape", "dimension is not a non-negative integer") }
            let (p, o) = elements.multipliedReportingOverflow(by: v)
            guard !o else { throw bad("shape", "element count overflows") }
            elements = p
            shape.append(Int(v))
        }
        guard let offsetsValue = m.value["data_offsets"] else { throw bad("data_offsets", "missing") }
        guard let offs = offsetsValue.arrayValue, offs.count == 2,
              let begin = offs[0].uint64Value, let end = offs[1].uint64Value else {
            throw bad("data_offsets", "not a pair of non-negative integers")
        }
        guard end >= begin else {
            throw ModelFilesError.invalidDataOffsets(tensor: name, begin: begin, end: end, expectedBegin: begin, offset: m.offset)
        }
        let (bits, o1) = elements.multipliedReportingOverflow(by: UInt64(dtype.bits))
        guard !o1 else { throw bad("shape", "byte size overflows") }
        guard bits % 8 == 0 else { throw bad("shape", "\(elements) x \(dtype.bits) bits is not a whole number of bytes") }
        guard bits / 8 == end - begin else {
            throw ModelFilesError.tensorSizeMismatch(tensor: name, expected: bits / 8, actual: end - begin, offset: m.offset)
        }
        // Offsets beyond the file are caught by the tiling/size check; bound them first so Int math is safe.
        guard end <= UInt64(Int.max / 2) else { throw bad("data_offsets", "offset \(end) is out of range") }
        return SafetensorsTensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: (Int(begin), Int(end)),
                                     offset: dataStart + Int(begin))
    }
}
