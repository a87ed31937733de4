// One crafted file per GGUF validation rule; each must fail with the specific
// ModelFilesError case, naming the field and the byte offset where it starts.
import Foundation
import Testing
@testable import ModelFiles

@Suite("GGUF validation")
struct GGUFValidationTests {
    private func error(_ data: Data) -> ModelFilesError? {
        do {
            _ = try GGUFFile(data: data)
            return nil
        } catch let e as ModelFilesError {
            return e
        } catch {
            return nil
        }
    }

    @Test("bad magic names the value and offset 0")
    func badMagic() {
        var g = RawGGUF.valid()
        g.magic = 0x4655_4746
        #expect(error(g.build()) == .badMagic(found: 0x4655_4746, offset: 0))
    }

    @Test("versions other than 2 and 3 are rejected at offset 4")
    func badVersion() {
        for v: UInt32 in [0, 1, 4, 0x0300_0000] {
            var g = RawGGUF.valid()
            g.version = v
            #expect(error(g.build()) == .unsupportedVersion(found: v, offset: 4))
        }
    }

    @Test("absurd tensor and key-value counts are rejected before any allocation")
    func absurdCounts() {
        var g = RawGGUF.valid()
        g.tensorCount = UInt64.max
        guard case .countTooLarge("tensor_count", UInt64.max, 8, _)? = error(g.build()) else {
            Issue.record("expected countTooLarge(tensor_count)"); return
        }
        var h = RawGGUF.valid()
        h.kvCount = 1 << 40
        guard case .countTooLarge("metadata_kv_count", 1 << 40, 16, _)? = error(h.build()) else {
            Issue.record("expected countTooLarge(metadata_kv_count)"); return
        }
        var a = RawGGUF()
        a.kv("arr", 9, RawGGUF.le(UInt32(4)) + RawGGUF.le(UInt64(1) << 60))
        guard case .countTooLarge("arr array length", 1 << 60, _, _)? = error(a.build()) else {
            Issue.record("expected countTooLarge for the array"); return
        }
    }

    @Test("a string length past the end of the file is rejected")
    func stringPastEnd() {
        var g = RawGGUF()
        g.kv("name", 8, RawGGUF.le(UInt64(1_000_000)) + Array("abc".utf8))
        let data = g.build()
        let at = g.keyAt[0] + 8 + 4 + 4
        #expect(error(data) == .stringPastEnd(field: "name", length: 1_000_000, offset: at, available: data.count - at - 8))
    }

    @Test("a key that is not UTF-8 is rejected")
    func invalidUTF8() {
        var g = RawGGUF()
        g.kvCount = 1
        g.alignment = 1
        var data = g.build()
        data += RawGGUF.le(UInt64(2)) + [0xff, 0xfe] + RawGGUF.le(UInt32(0)) + [1]
        #expect(error(data) == .invalidUTF8(field: "key of metadata pair #0", offset: 24))
    }

    @Test("a bool value byte other than 0 or 1 names the key and the byte's offset")
    func invalidBool() {
        for b: UInt8 in [2, 0xff] {
            var g = RawGGUF.valid()
            g.kv("flag", 7, [b])
            let data = g.build()
            let at = g.keyAt.last! + 8 + 4 + 4  // key length, "flag", value type
            #expect(error(data) == .invalidBool(field: "flag", value: b, offset: at))
            #expect(error(data)?.description.contains("at byte \(at)") == true)
        }
        // Inside an array, too: the second element of [1, 3].
        var a = RawGGUF()
        a.kv("flags", 9, RawGGUF.le(UInt32(7)) + RawGGUF.le(UInt64(2)) + [1, 3])
        let data = a.build()
        #expect(error(data) == .invalidBool(field: "flags", value: 3, offset: a.keyAt[0] + 8 + 5 + 4 + 4 + 8 + 1))
    }

    @Test("a metadata string value that is not UTF-8 names the key and the string's offset")
    func invalidUTF8Value() {
        var g = RawGGUF.valid()
        g.kv("general.name", 8, RawGGUF.le(UInt64(2)) + [0xc3, 0x28])  // 0xc3 needs a continuation byte
        let data = g.build()
        let at = g.keyAt.last! + 8 + "general.name".utf8.count + 4
        #expect(error(data) == .invalidUTF8(field: "general.name", offset: at))
        // A lone continuation byte inside an array of strings.
        var a = RawGGUF()
        a.kv("tokenizer.ggml.tokens", 9, RawGGUF.le(UInt32(8)) + RawGGUF.le(UInt64(2)) + RawGGUF.str("a") + RawGGUF.le(UInt64(1)) + [0x80])
        let arrayData = a.build()
        let second = a.keyAt[0] + 8 + "tokenizer.ggml.tokens".utf8.count + 4 + 4 + 8 + 9
        #expect(error(arrayData) == .invalidUTF8(field: "tokenizer.ggml.tokens", offset: second))
    }

    @Test("a tensor name whose length runs past the end of the file names the tensor entry and offset")
    func tensorNamePastEnd() {
        var g = RawGGUF()
        g.tensorCount = 1
        g.alignment = 1
        var data = g.build()  // the 24-byte header and no key-value pairs
        // The name claims 1000 bytes; only 32 follow (enough to pass the tensor_count bound).
        data += RawGGUF.le(UInt64(1000)) + [UInt8](repeating: 0x61, count: 32)
        #expect(error(data) == .stringPastEnd(field: "name of tensor #0", length: 1000, offset: 24, available: 32))
        #expect(error(data)?.description.contains("name of tensor #0: string length 1000 at byte 24") == true)
        // The same in a real layout: the third tensor's name length is made huge.
        var v = RawGGUF.valid()
        var bytes = [UInt8](v.build())
        let thirdNameAt = v.tensorOffsetFieldAt[1] + 8
        bytes.replaceSubrange(thirdNameAt ..< thirdNameAt + 8, with: RawGGUF.le(UInt64(1) << 40))
        guard case .stringPastEnd("name of tensor #2", 1 << 40, thirdNameAt, _)? = error(Data(bytes)) else {
            Issue.record("expected stringPastEnd for tensor #2, got \(String(describing: error(Data(bytes))))"); return
        }
    }

    @Test("unknown metadata value types, plain and as array elements")
    func unknownValueType() {
        var g = RawGGUF()
        g.kv("x", 13, [0, 0, 0, 0])
        #expect(error(g.build()) == .unknownValueType(field: "x", typeID: 13, offset: 24 + 9))
        var h = RawGGUF()
        h.kv("y", 9, RawGGUF.le(UInt32(99)) + RawGGUF.le(UInt64(0)))
        #expect(error(h.build()) == .unknownValueType(field: "y", typeID: 99, offset: 24 + 9 + 4))
    }

    @Test("arrays nested past the depth limit are rejected")
    func deepNesting() {
        var value: [UInt8] = RawGGUF.le(UInt32(5)) + RawGGUF.le(UInt64(0))
        for _ in 0 ..< 20 { value = RawGGUF.le(UInt32(9)) + RawGGUF.le(UInt64(1)) + value }
        var g = RawGGUF()
        g.kv("deep", 9, value)
        guard case .nestingTooDeep("deep", _)? = error(g.build()) else { Issue.record("expected nestingTooDeep"); return }
    }

    @Test("duplicate metadata keys and duplicate tensor names")
    func duplicates() {
        var g = RawGGUF.valid()
        g.kvString("general.architecture", "again")
        let data = g.build()
        #expect(error(data) == .duplicateKey(key: "general.architecture", offset: g.keyAt.last!))
        var t = RawGGUF.valid()
        t.tensors[2].name = "a"
        guard case .duplicateTensor("a", _)? = error(t.build()) else { Issue.record("expected duplicateTensor"); return }
    }

    @Test("general.alignment must be a uint32 power of two")
    func badAlignment() {
        var g = RawGGUF.valid()
        g.kvU32("general.alignment", 48)
        guard case .invalidAlignment(48, _)? = error(g.build()) else { Issue.record("expected invalidAlignment"); return }
        var h = RawGGUF.valid()
        h.kv("general.alignment", 10, RawGGUF.le(UInt64(32)))
        guard case .wrongValueType("general.alignment", "uint32", "uint64", _)? = error(h.build()) else {
            Issue.record("expected wrongValueType"); return
        }
    }

    @Test("unknown tensor type ids name the tensor")
    func unknownTensorType() {
        var g = RawGGUF.valid()
        g.tensors[1].type = 31  // an id ggml does not define (31..33 were retired)
        let data = g.build()
        #expect(error(data) == .unknownTensorType(tensor: "b", typeID: 31, offset: g.tensorOffsetFieldAt[1] - 4))
    }

    @Test("more than 4 dimensions, oversized dims and overflowing products")
    func dimensions() {
        var g = RawGGUF.valid()
        g.tensors[0].dims = [1, 1, 1, 1, 8]
        guard case .tooManyDimensions("a", 5, _)? = error(g.build()) else { Issue.record("expected tooManyDimensions"); return }
        var h = RawGGUF.valid()
        h.tensors[0].dims = [4, UInt64.max]
        guard case .invalidDimension("a", 1, UInt64.max, _)? = error(h.build()) else { Issue.record("expected invalidDimension"); return }
        var o = RawGGUF.valid()
        o.tensors[0].dims = [1 << 32, 1 << 32, 1 << 32]
        guard case .dimensionOverflow("a", _)? = error(o.build()) else { Issue.record("expected dimensionOverflow"); return }
        var q = RawGGUF.valid()
        q.tensors[1].dims = [31]
        guard case .rowNotBlockAligned("b", .q8_0, 31, _)? = error(q.build()) else { Issue.record("expected rowNotBlockAligned"); return }
    }

    @Test("offsets past the end, misaligned offsets and overlapping tensors")
    func offsets() {
        var g = RawGGUF.valid()
        g.tensors[2].offset = 1 << 20
        let data = g.build()
        guard case .tensorPastEnd("c", _, _, data.count, g.tensorOffsetFieldAt[2])? = error(data) else {
            Issue.record("expected tensorPastEnd"); return
        }
        var w = RawGGUF.valid()
        w.tensors[2].offset = UInt64.max - 31  // start + size overflows
        guard case .tensorPastEnd("c", _, _, _, _)? = error(w.build()) else { Issue.record("expected tensorPastEnd (overflow)"); return }
        var m = RawGGUF.valid()
        m.tensors[2].offset = 100
        let md = m.build()
        #expect(error(md) == .misalignedTensorOffset(tensor: "c", dataOffset: 100, alignment: 32, offset: m.tensorOffsetFieldAt[2]))
        var o = RawGGUF.valid()
        o.tensors[0].dims = [16, 2]  // 128 bytes from 0: runs into b at 32
        o.data += [UInt8](repeating: 0, count: 64)
        guard case .overlappingTensors("a", "b", _)? = error(o.build()) else { Issue.record("expected overlappingTensors"); return }
    }

    @Test("every truncation of a valid file fails with a typed error, never a crash")
    func truncations() {
        var g = RawGGUF.valid()
        let data = g.build()
        // Everything up to the end of the last tensor's data is required (trailing
        // padding after it is not: llama.cpp does not need it either).
        let lastDataEnd = g.dataStart + 96 + 6
        for n in 0 ..< lastDataEnd where n % 3 == 0 || n < 64 || n > lastDataEnd - 8 {
            #expect(error(data.prefix(n)) != nil, "prefix of \(n) bytes was accepted")
        }
        #expect(error(data.prefix(lastDataEnd)) == nil)
        #expect(error(Data()) == .truncated(field: "magic", offset: 0, needed: 4, available: 0))
        let cut = g.tensorOffsetFieldAt[2] + 3
        #expect(error(data.prefix(cut)) == .truncated(field: "offset of tensor c", offset: cut - 3, needed: 8, available: 3))
        guard case .tensorPastEnd("c", _, _, _, _)? = error(data.prefix(lastDataEnd - 1)) else {
            Issue.record("expected tensorPastEnd for data cut short"); return
        }
    }

    @Test("random byte corruption never crashes the reader")
    func fuzz() {
        var g = RawGGUF.valid()
        let data = g.build()
        var rng = SeededRNG(seed: 42)
        for _ in 0 ..< 2000 {
            var d = data
            for _ in 0 ..< Int.random(in: 1 ... 4, using: &rng) {
                d[Int.random(in: 0 ..< d.count, using: &rng)] = UInt8.random(in: 0 ... 255, using: &rng)
            }
            _ = try? GGUFFile(data: d)
        }
    }
}
