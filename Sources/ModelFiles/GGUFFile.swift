// A GGUF model file, memory-mapped read-only and validated on open (see GGUFParser
// for the format and the rules). Tensor data is never copied: `bytes(of:)` is a
// view into the mapping, valid for as long as the GGUFFile lives. `floats(of:)`
// dequantizes a copy for code that wants plain f32.
import Foundation
import Quant

public final class GGUFFile: Sendable {
    /// Alignment of tensor data when the file has no `general.alignment` key.
    public static let defaultAlignment = 32

    /// Format version (2 or 3).
    public let version: UInt32
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    /// Metadata by key.
    public let metadata: [String: GGUFValue]
    /// Tensor table in file order.
    public let tensors: [GGUFTensorInfo]
    /// Tensor data alignment (`general.alignment` or 32).
    public let alignment: Int
    /// Absolute offset of the data section (the end of the tensor table rounded up to
    /// `alignment`; may lie past the end of a file without tensors).
    public let dataOffset: Int
    /// Absolute offset of the end of the tensor table (before the padding).
    public let headerEnd: Int
    /// Size of the file in bytes.
    public var fileSize: Int { storage.count }

    private let storage: MappedBytes
    private let index: [String: Int]

    /// Maps and validates the file at `path`.
    public convenience init(path: String) throws {
        try self.init(storage: MappedBytes(path: path))
    }

    /// Validates an in-memory GGUF image (copied once; used by tests and tools).
    public convenience init(data: Data) throws {
        try self.init(storage: MappedBytes(data: data))
    }

    private init(storage: MappedBytes) throws {
        let parsed = try GGUFParser.parse(storage.buffer)
        self.storage = storage
        version = parsed.version
        metadataKeys = parsed.keys
        metadata = parsed.metadata
        tensors = parsed.tensors
        alignment = parsed.alignment
        dataOffset = parsed.dataOffset
        headerEnd = parsed.headerEnd
        var index: [String: Int] = [:]
        for (i, t) in parsed.tensors.enumerated() { index[t.name] = i }
        self.index = index
    }

    /// Metadata as (key, value) pairs in file order.
    public var orderedMetadata: [(key: String, value: GGUFValue)] {
        metadataKeys.compactMap { k in metadata[k].map { (k, $0) } }
    }

    public func tensor(named name: String) -> GGUFTensorInfo? {
        index[name].map { tensors[$0] }
    }

    /// Zero-copy view of a tensor's bytes, valid while this GGUFFile is alive.
    /// `info` must come from this file (its range was validated on open).
    public func bytes(of info: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        let all = storage.buffer
        let start = max(0, min(info.offset, all.count))
        let end = max(start, min(info.offset + info.byteCount, all.count))
        return UnsafeRawBufferPointer(rebasing: all[start ..< end])
    }

    /// The whole file as bytes (zero-copy), valid while this GGUFFile is alive.
    public var rawBytes: UnsafeRawBufferPointer { storage.buffer }

    /// A dequantized f32 copy of the tensor, `elementCount` values in ne order.
    public func floats(of info: GGUFTensorInfo) throws -> [Float] {
        try Quantization.dequantize(bytes(of: info), as: info.type, count: info.elementCount)
    }

    /// A dequantized f32 copy of the tensor called `name`.
    public func floats(named name: String) throws -> [Float] {
        guard let info = tensor(named: name) else { throw ModelFilesError.unknownTensor(name: name) }
        return try floats(of: info)
    }

    // MARK: - Typed metadata

    /// A non-negative integer value (any GGUF integer type).
    public func uint(_ key: String) -> Int? {
        guard let v = metadata[key]?.intValue, v >= 0 else { return nil }
        return v
    }

    /// A signed integer value (any GGUF integer type).
    public func int(_ key: String) -> Int? { metadata[key]?.intValue }

    /// A float32/float64 (or integer) value as Float.
    public func float(_ key: String) -> Float? { metadata[key]?.doubleValue.map(Float.init) }

    public func bool(_ key: String) -> Bool? { metadata[key]?.boolValue }

    public func string(_ key: String) -> String? { metadata[key]?.stringValue }

    /// An array of strings (nil when absent or not an array of strings).
    public func strings(_ key: String) -> [String]? {
        guard case let .array(.string, values)? = metadata[key] else { return nil }
        return values.compactMap(\.stringValue)
    }

    /// An array of numbers as Float (nil when absent or not numeric).
    public func floats(_ key: String) -> [Float]? {
        guard case let .array(t, values)? = metadata[key], t != .string, t != .array, t != .bool else { return nil }
        return values.compactMap { $0.doubleValue.map(Float.init) }
    }

    /// An array of integers as Int (nil when absent or not integers).
    public func ints(_ key: String) -> [Int]? {
        guard case let .array(_, values)? = metadata[key] else { return nil }
        let out = values.compactMap(\.intValue)
        return out.count == values.count ? out : nil
    }

    /// `general.architecture` (e.g. "llama").
    public var architecture: String? { string("general.architecture") }
}
