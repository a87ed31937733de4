// Writes safetensors files that the strict reader (and the python `safetensors`
// package) accept. Tensors are laid out sorted by name, both in the JSON header and
// in the data buffer, so the output is deterministic; "__metadata__" comes first
// when present. The header is padded with spaces to a multiple of 8 bytes, as the
// reference writer does, so the data buffer starts 8-byte aligned.
import Foundation
import JSON
import Quant
import Support

public struct SafetensorsWriter: Sendable {
    struct Entry: Sendable {
        var dtype: SafetensorsDType
        var shape: [Int]
        var bytes: [UInt8]
    }

    /// The `__metadata__` string map (written only when non-empty).
    public var metadata: [String: String] = [:]
    private var entries: [String: Entry] = [:]

    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// Names added so far, sorted (the order they are written in).
    public var tensorNames: [String] { entries.keys.sorted() }

    /// Adds f32 values stored as `dtype` (F32, F16 or BF16; F16/BF16 round to nearest even).
    public mutating func add(name: String, floats: [Float], shape: [Int], as dtype: SafetensorsDType = .f32) throws {
        let count = try Self.elementCount(name: name, shape: shape)
        guard floats.count == count else {
            throw ModelFilesError.invalidTensor(name: name, reason: "\(floats.count) values given, shape \(shape) has \(count)")
        }
        var bytes: [UInt8]
        switch dtype {
        case .f32: bytes = floats.withUnsafeBytes { Array($0) }
        case .f16: bytes = try Quantization.quantize(floats, as: .f16)
        case .bf16: bytes = try Quantization.quantize(floats, as: .bf16)
        default: throw ModelFilesError.invalidTensor(name: name, reason: "cannot store floats as \(dtype)")
        }
        try add(name: name, dtype: dtype, shape: shape, bytes: bytes)
    }

    /// Adds raw little-endian bytes of `dtype` (size must equal dtype x shape).
    public mutating func add(name: String, dtype: SafetensorsDType, shape: [Int], bytes: [UInt8]) throws {
        guard name != "__metadata__" else { throw ModelFilesError.invalidTensor(name: name, reason: "reserved name") }
        guard entries[name] == nil else { throw ModelFilesError.invalidTensor(name: name, reason: "duplicate name") }
        let count = try Self.elementCount(name: name, shape: shape)
        let (bits, o) = count.multipliedReportingOverflow(by: dtype.bits)
        guard !o, bits % 8 == 0, bits / 8 == bytes.count else {
            throw ModelFilesError.invalidTensor(name: name, reason: "\(bytes.count) bytes do not match \(dtype) \(shape)")
        }
        entries[name] = Entry(dtype: dtype, shape: shape, bytes: bytes)
    }

    private static func elementCount(name: String, shape: [Int]) throws -> Int {
        var n = 1
        for d in shape {
            guard d >= 0 else { throw ModelFilesError.invalidTensor(name: name, reason: "negative dimension in \(shape)") }
            let (p, o) = n.multipliedReportingOverflow(by: d)
            guard !o else { throw ModelFilesError.invalidTensor(name: name, reason: "shape \(shape) overflows") }
            n = p
        }
        return n
    }

    /// The JSON header, space-padded to a multiple of 8 bytes.
    func header() -> [UInt8] {
        var parts: [String] = []
        if !metadata.isEmpty {
            let kv = metadata.keys.sorted().map { "\(JSONString.quote($0)):\(JSONString.quote(metadata[$0] ?? ""))" }
            parts.append("\"__metadata__\":{\(kv.joined(separator: ","))}")
        }
        var offset = 0
        for name in tensorNames {
            guard let e = entries[name] else { continue }
            let shape = e.shape.map(String.init).joined(separator: ",")
            parts.append("\(JSONString.quote(name)):{\"dtype\":\"\(e.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + e.bytes.count)]}")
            offset += e.bytes.count
        }
        var h = Array("{\(parts.joined(separator: ","))}".utf8)
        while h.count % 8 != 0 { h.append(0x20) }
        return h
    }

    private func emit(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        let h = header()
        var len = UInt64(h.count).littleEndian
        try withUnsafeBytes(of: &len) { try sink($0) }
        try h.withUnsafeBytes { try sink($0) }
        for name in tensorNames {
            try entries[name]?.bytes.withUnsafeBytes { try sink($0) }
        }
    }

    /// The complete file image.
    public func serialized() -> Data {
        var out = Data()
        // The closure never throws here; `try?` only satisfies the shared emitter's signature.
        try? emit { out.append(contentsOf: $0) }
        return out
    }

    /// Writes the file atomically (temp file + rename).
    public func write(to path: String) throws {
        try AtomicFile.write(to: path) { sink in try emit(sink) }
    }
}
