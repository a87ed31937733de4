// GGUF reading: every metadata value type, the tensor table, zero-copy views,
// dequantized copies, and byte-exact rewriting of what was read.
import Foundation
import Quant
import Testing
@testable import ModelFiles

@Suite("GGUF reader")
struct GGUFReaderTests {
    @Test("reads every metadata value type with its value and file order")
    func metadataTypes() throws {
        var raw = RawGGUF.valid()
        let f = try GGUFFile(data: raw.build())
        #expect(f.version == 3)
        #expect(f.metadataKeys.first == "general.architecture")
        #expect(f.metadataKeys.count == 16)
        #expect(f.architecture == "llama")
        #expect(f.metadata["t.u8"] == .uint8(200))
        #expect(f.metadata["t.i8"] == .int8(-5))
        #expect(f.metadata["t.u16"] == .uint16(65000))
        #expect(f.metadata["t.i16"] == .int16(-30000))
        #expect(f.uint("t.u32") == 4_000_000_000)
        #expect(f.int("t.i32") == -7)
        #expect(f.uint("t.i32") == nil)
        #expect(f.float("t.f32") == 1.5)
        #expect(f.bool("t.bool") == true)
        #expect(f.metadata["t.u64"] == .uint64(.max))
        #expect(f.metadata["t.i64"] == .int64(.min))
        #expect(f.metadata["t.f64"] == .float64(-2.25))
        #expect(f.strings("t.strings") == ["a", "", "ünï"])
        #expect(f.floats("t.floats") == [0.5, -1])
        #expect(f.metadata["t.empty"] == .array(elementType: .int32, values: []))
        #expect(f.metadata["t.nested"] == .array(elementType: .array, values: [
            .array(elementType: .int32, values: [.int32(1), .int32(2)]),
            .array(elementType: .int32, values: [.int32(3)]),
        ]))
        #expect(f.string("t.u8") == nil)
    }

    @Test("tensor table: names, types, ne-order shapes, absolute offsets and sizes")
    func tensorTable() throws {
        var raw = RawGGUF.valid()
        let data = raw.build()
        let f = try GGUFFile(data: data)
        #expect(f.tensors.map(\.name) == ["a", "b", "c"])
        let a = try #require(f.tensor(named: "a"))
        #expect(a.type == .f32 && a.shape == [4, 2] && a.byteCount == 32 && a.offset == raw.dataStart)
        #expect(a.rowLength == 4 && a.rowCount == 2)
        let b = try #require(f.tensor(named: "b"))
        #expect(b.type == .q8_0 && b.byteCount == 34 && b.offset == raw.dataStart + 32)
        #expect(f.tensor(named: "zzz") == nil)
        // Zero-copy view: same bytes as the file at that offset.
        let view = f.bytes(of: b)
        #expect(Array(view) == Array(data[raw.dataStart + 32 ..< raw.dataStart + 66]))
        #expect(try f.floats(of: a) == (0 ..< 8).map(Float.init))
        #expect(try f.floats(of: b) == (0 ..< 32).map { Float($0 - 16) * 0.25 })
        #expect(try f.floats(named: "c") == [1, -2, 0.5])
        #expect(throws: ModelFilesError.unknownTensor(name: "nope")) { try f.floats(named: "nope") }
    }

    @Test("honours general.alignment for the data section and offsets")
    func customAlignment() throws {
        var raw = RawGGUF.valid()
        raw.alignment = 64
        raw.kvU32("general.alignment", 64)
        raw.tensors[1].offset = 64
        raw.tensors[2].offset = 128
        var d: [UInt8] = Array(raw.data[0 ..< 32]) + [UInt8](repeating: 0, count: 32)
        d += Array(raw.data[32 ..< 66]) + [UInt8](repeating: 0, count: 30)
        d += Array(raw.data[96 ..< 102]) + [UInt8](repeating: 0, count: 58)
        raw.data = d
        let data = raw.build()
        let f = try GGUFFile(data: data)
        #expect(f.alignment == 64)
        #expect(f.dataOffset % 64 == 0)
        #expect(try f.floats(named: "c") == [1, -2, 0.5])
        #expect(try GGUFWriter(copying: f).serialized() == data)
    }

    @Test("a copied file is rewritten byte for byte")
    func roundTripSynthetic() throws {
        var raw = RawGGUF.valid()
        let data = raw.build()
        let f = try GGUFFile(data: data)
        #expect(try GGUFWriter(copying: f).serialized() == data)
        var v2 = raw
        v2.version = 2
        let data2 = v2.build()
        #expect(try GGUFWriter(copying: GGUFFile(data: data2)).serialized() == data2)
    }

    @Test("writer builds a file from scratch that reads back, and writes atomically")
    func writerFromScratch() throws {
        var w = GGUFWriter()
        w.setValue(.string("llama"), forKey: "general.architecture")
        w.setValue(.array(elementType: .string, values: [.string("x"), .string("y")]), forKey: "tokenizer.ggml.tokens")
        w.setValue(.uint32(7), forKey: "llama.block_count")
        w.setValue(.uint32(8), forKey: "llama.block_count")  // replaced in place
        let values = (0 ..< 64).map { Float($0) / 10 - 3 }
        try w.addTensor(name: "w", floats: values, shape: [32, 2], as: .q8_0)
        try w.addTensor(name: "n", floats: [1, 2, 3], shape: [3], as: .f32)
        #expect(throws: ModelFilesError.self) { try w.addTensor(name: "n", floats: [1], shape: [1], as: .f32) }
        #expect(throws: ModelFilesError.self) { try w.addTensor(name: "bad", floats: [1, 2], shape: [2], as: .q4_0) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gguf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.gguf").path
        try w.write(to: path)
        let f = try GGUFFile(path: path)
        #expect(f.metadataKeys == ["general.architecture", "tokenizer.ggml.tokens", "llama.block_count"])
        #expect(f.uint("llama.block_count") == 8)
        #expect(f.strings("tokenizer.ggml.tokens") == ["x", "y"])
        let back = try f.floats(named: "w")
        #expect(zip(back, values).allSatisfy { abs($0 - $1) < 0.03 })
        #expect(try f.floats(named: "n") == [1, 2, 3])
        #expect(f.fileSize % 32 == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["m.gguf"])
    }
}

/// Inputs found by the coverage-guided fuzzer (Fuzz/, docs/fuzzing.md).
@Suite("GGUF: fuzzer findings")
struct GGUFFuzzRegressionTests {
    /// fuzz-gguf timeout-2dbc8eed (416 bytes): a tensor-less file declaring
    /// `general.alignment` = 2^30, with a few bytes after its table. The reader accepts it
    /// (its data section starts past the end, which is allowed without tensors), but
    /// GGUFWriter(copying:) padded the copy to the alignment: 1 GiB of zeros, 20 s and
    /// an out-of-memory under the fuzzer.
    @Test("copying a tensor-less file with a huge alignment and stray trailing bytes stays small")
    func hugeAlignmentCopy() throws {
        var raw = RawGGUF()
        raw.kvString("general.architecture", "llama")
        raw.kvU32("general.alignment", 1 << 30)
        raw.alignment = 1
        raw.data = [UInt8](repeating: 0, count: 16)
        let data = raw.build()
        let f = try GGUFFile(data: data)
        #expect(f.alignment == 1 << 30)
        #expect(f.tensors.isEmpty && f.dataOffset == 1 << 30 && f.fileSize == data.count)
        let copy = try GGUFWriter(copying: f).serialized()
        #expect(copy.count == f.headerEnd)
        let back = try GGUFFile(data: copy)
        #expect(back.metadataKeys == f.metadataKeys && back.alignment == f.alignment)
    }
}
