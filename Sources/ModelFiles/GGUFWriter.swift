// Writes GGUF v2/v3 files in the canonical layout that ggml's and the python gguf
// package's writers produce: header, metadata in the given order, tensor infos in
// the given order, zero padding to the alignment, then each tensor's data followed by
// zero padding to the alignment. Tensor offsets are assigned in that order. A file
// read with GGUFFile and copied with `init(copying:)` therefore comes back byte for
// byte whenever the original was itself canonical (all ggml/llama.cpp files are).
// Output is written atomically (temp file + rename) through Support's AtomicFile.
import Foundation
import Quant
import Support

public struct GGUFWriter: Sendable {
    enum Source: Sendable {
        case owned([UInt8])
        case view(GGUFFile, GGUFTensorInfo)
    }

    struct Entry: Sendable {
        var name: String
        var type: GGMLType
        var shape: [Int]
        var byteCount: Int
        var source: Source
    }

    /// GGUF version to write (2 or 3; both have the same layout).
    public var version: UInt32
    /// Metadata in output order.
    public private(set) var metadata: [(key: String, value: GGUFValue)] = []
    /// Whether a file without tensors still gets zero padding after its tensor table.
    /// ggml's C writer pads; the python gguf writer (vocab-only files) does not.
    /// `init(copying:)` keeps what the source file did.
    public var padsEmptyDataSection = false
    private var entries: [Entry] = []
    private var names = Set<String>()

    public init(version: UInt32 = 3) {
        self.version = version
    }

    /// A writer holding all of `file`'s metadata and tensors (data as zero-copy views).
    public init(copying file: GGUFFile) {
        version = file.version
        metadata = file.orderedMetadata
        // Padded only when the source's bytes reach its data section: a few stray bytes after
        // the table of a tensor-less file with a huge `general.alignment` (up to 2^31) must
        // not turn into a gigabyte of zeros in the copy.
        padsEmptyDataSection = file.fileSize > file.headerEnd && file.fileSize >= file.dataOffset
        for t in file.tensors {
            entries.append(Entry(name: t.name, type: t.type, shape: t.shape, byteCount: t.byteCount, source: .view(file, t)))
            names.insert(t.name)
        }
    }

    /// Tensor data alignment: `general.alignment` if set, else 32.
    public var alignment: Int {
        if let v = metadata.first(where: { $0.key == "general.alignment" })?.value, case let .uint32(a) = v,
           a != 0, a & (a - 1) == 0 {
            return Int(a)
        }
        return GGUFFile.defaultAlignment
    }

    /// Names of the tensors added so far, in output order.
    public var tensorNames: [String] { entries.map(\.name) }

    /// Sets a metadata value, keeping the key's position if it exists, else appending.
    public mutating func setValue(_ value: GGUFValue, forKey key: String) {
        if let i = metadata.firstIndex(where: { $0.key == key }) {
            metadata[i].value = value
        } else {
            metadata.append((key, value))
        }
    }

    public mutating func removeValue(forKey key: String) {
        metadata.removeAll { $0.key == key }
    }

    /// Adds a tensor from raw encoded bytes (`shape` in ggml ne order).
    public mutating func addTensor(name: String, type: GGMLType, shape: [Int], bytes: [UInt8]) throws {
        let n = try Self.byteCount(name: name, type: type, shape: shape)
        guard bytes.count == n else {
            throw ModelFilesError.invalidTensor(name: name, reason: "\(bytes.count) bytes given, \(type) \(shape) needs \(n)")
        }
        try append(Entry(name: name, type: type, shape: shape, byteCount: n, source: .owned(bytes)))
    }

    /// Adds a tensor given as f32 values, encoded as `type` (ggml reference rounding).
    public mutating func addTensor(name: String, floats: [Float], shape: [Int], as type: GGMLType) throws {
        let count = shape.reduce(1, *)
        guard floats.count == count else {
            throw ModelFilesError.invalidTensor(name: name, reason: "\(floats.count) values given, shape \(shape) has \(count)")
        }
        _ = try Self.byteCount(name: name, type: type, shape: shape)
        try addTensor(name: name, type: type, shape: shape, bytes: try Quantization.quantize(floats, as: type))
    }

    /// Adds a tensor of another GGUF file without copying its data until written.
    public mutating func addTensor(_ info: GGUFTensorInfo, from file: GGUFFile, renamedTo name: String? = nil) throws {
        try append(Entry(name: name ?? info.name, type: info.type, shape: info.shape, byteCount: info.byteCount,
                         source: .view(file, info)))
    }

    /// Removes all tensors.
    public mutating func removeAllTensors() {
        entries.removeAll()
        names.removeAll()
    }

    private mutating func append(_ e: Entry) throws {
        guard names.insert(e.name).inserted else { throw ModelFilesError.invalidTensor(name: e.name, reason: "duplicate name") }
        entries.append(e)
    }

    static func byteCount(name: String, type: GGMLType, shape: [Int]) throws -> Int {
        guard shape.count <= GGUFParser.maxDims else {
            throw ModelFilesError.invalidTensor(name: name, reason: "\(shape.count) dimensions (at most 4)")
        }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw ModelFilesError.invalidTensor(name: name, reason: "negative dimension in \(shape)") }
        var elements = 1
        for d in shape {
            let (p, o) = elements.multipliedReportingOverflow(by: d)
            guard !o else { throw ModelFilesError.invalidTensor(name: name, reason: "shape \(shape) overflows") }
            elements = p
        }
        let rowLength = shape.first ?? 1
        guard let rowBytes = type.rowSize(rowLength) else {
            throw ModelFilesError.invalidTensor(name: name, reason: "row of \(rowLength) is not a whole number of \(type) blocks")
        }
        let rows = rowLength == 0 ? 0 : elements / rowLength
        let (n, o) = rowBytes.multipliedReportingOverflow(by: rows)
        guard !o else { throw ModelFilesError.invalidTensor(name: name, reason: "byte size overflows") }
        return n
    }

    // MARK: - Output

    /// The header, metadata, tensor table and padding (everything before the data).
    func encodeHeader() throws -> [UInt8] {
        guard version == 2 || version == 3 else {
            throw ModelFilesError.unsupportedVersion(found: version, offset: 4)
        }
        var s = ByteSink()
        s.append(GGUFParser.magic)
        s.append(version)
        s.append(UInt64(entries.count))
        s.append(UInt64(metadata.count))
        var seen = Set<String>()
        for (key, value) in metadata {
            guard seen.insert(key).inserted else { throw ModelFilesError.duplicateKey(key: key, offset: s.bytes.count) }
            s.appendGGUFString(key)
            s.append(value.type.rawValue)
            try encode(value, key: key, into: &s)
        }
        let align = alignment
        var offset = 0
        for e in entries {
            s.appendGGUFString(e.name)
            s.append(UInt32(e.shape.count))
            for d in e.shape { s.append(UInt64(d)) }
            s.append(e.type.rawValue)
            s.append(UInt64(offset))
            offset = GGUFParser.alignUp(offset + e.byteCount, align)
        }
        if !entries.isEmpty || padsEmptyDataSection { s.pad(to: align) }
        return s.bytes
    }

    private func encode(_ value: GGUFValue, key: String, into s: inout ByteSink) throws {
        switch value {
        case let .uint8(v): s.append(v)
        case let .int8(v): s.append(v)
        case let .uint16(v): s.append(v)
        case let .int16(v): s.append(v)
        case let .uint32(v): s.append(v)
        case let .int32(v): s.append(v)
        case let .uint64(v): s.append(v)
        case let .int64(v): s.append(v)
        case let .float32(v): s.append(v)
        case let .float64(v): s.append(v)
        case let .bool(v): s.append(UInt8(v ? 1 : 0))
        case let .string(v): s.appendGGUFString(v)
        case let .array(elementType, values):
            s.append(elementType.rawValue)
            s.append(UInt64(values.count))
            for v in values {
                guard v.type == elementType else {
                    throw ModelFilesError.wrongValueType(key: key, expected: "\(elementType) array element",
                                                         found: v.type.description, offset: s.bytes.count)
                }
                try encode(v, key: key, into: &s)
            }
        }
    }

    /// Streams the whole file through `emit`.
    func emit(_ emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        try encodeHeader().withUnsafeBytes { try emit($0) }
        let align = alignment
        // Only as many zeros as the largest pad needs, not `align` of them (up to 2^31).
        let zeros = [UInt8](repeating: 0, count: entries.map { (align - $0.byteCount % align) % align }.max() ?? 0)
        for e in entries {
            switch e.source {
            case let .owned(bytes): try bytes.withUnsafeBytes { try emit($0) }
            case let .view(file, info): try emit(file.bytes(of: info))
            }
            let pad = (align - e.byteCount % align) % align
            if pad > 0 { try zeros.withUnsafeBytes { try emit(UnsafeRawBufferPointer(rebasing: $0[0 ..< pad])) } }
        }
    }

    /// The complete file image in memory.
    public func serialized() throws -> Data {
        var out = Data()
        try emit { out.append(contentsOf: $0) }
        return out
    }

    /// Writes the file atomically to `path`.
    public func write(to path: String) throws {
        try AtomicFile.write(to: path) { sink in try emit(sink) }
    }
}
