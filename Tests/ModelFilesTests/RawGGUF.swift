// A byte-level GGUF builder for tests: it writes exactly what it is told, including
// wrong magic, counts, types and offsets, so each validation rule can be hit with
// a crafted file. Offsets of interesting fields are recorded for the assertions.
import Foundation

struct RawGGUF {
    struct KV { var key: String; var type: UInt32; var value: [UInt8] }
    struct Tensor { var name: String; var dims: [UInt64]; var type: UInt32; var offset: UInt64; var nDims: UInt32? = nil }

    var magic: UInt32 = 0x4655_4747
    var version: UInt32 = 3
    var tensorCount: UInt64? = nil
    var kvCount: UInt64? = nil
    var kvs: [KV] = []
    var tensors: [Tensor] = []
    var alignment = 32
    var data: [UInt8] = []
    /// Byte offset of each tensor's `offset` field after `build()`.
    private(set) var tensorOffsetFieldAt: [Int] = []
    /// Byte offset of each key after `build()`.
    private(set) var keyAt: [Int] = []
    private(set) var dataStart = 0

    static func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    static func str(_ s: String) -> [UInt8] { le(UInt64(s.utf8.count)) + Array(s.utf8) }

    mutating func kv(_ key: String, _ type: UInt32, _ value: [UInt8]) { kvs.append(KV(key: key, type: type, value: value)) }
    mutating func kvString(_ key: String, _ s: String) { kv(key, 8, Self.str(s)) }
    mutating func kvU32(_ key: String, _ v: UInt32) { kv(key, 4, Self.le(v)) }

    mutating func build() -> Data {
        var b: [UInt8] = []
        b += Self.le(magic) + Self.le(version)
        b += Self.le(tensorCount ?? UInt64(tensors.count)) + Self.le(kvCount ?? UInt64(kvs.count))
        keyAt = []
        for kv in kvs {
            keyAt.append(b.count)
            b += Self.str(kv.key) + Self.le(kv.type) + kv.value
        }
        tensorOffsetFieldAt = []
        for t in tensors {
            b += Self.str(t.name) + Self.le(t.nDims ?? UInt32(t.dims.count))
            for d in t.dims { b += Self.le(d) }
            b += Self.le(t.type)
            tensorOffsetFieldAt.append(b.count)
            b += Self.le(t.offset)
        }
        while b.count % alignment != 0 { b.append(0) }
        dataStart = b.count
        b += data
        return Data(b)
    }

    /// A valid file: every metadata value type, three tensors (f32, q8_0, f16).
    static func valid() -> RawGGUF {
        var g = RawGGUF()
        g.kvString("general.architecture", "llama")
        g.kv("t.u8", 0, [200])
        g.kv("t.i8", 1, le(Int8(-5)))
        g.kv("t.u16", 2, le(UInt16(65000)))
        g.kv("t.i16", 3, le(Int16(-30000)))
        g.kvU32("t.u32", 4_000_000_000)
        g.kv("t.i32", 5, le(Int32(-7)))
        g.kv("t.f32", 6, le(Float(1.5).bitPattern))
        g.kv("t.bool", 7, [1])
        g.kv("t.u64", 10, le(UInt64.max))
        g.kv("t.i64", 11, le(Int64.min))
        g.kv("t.f64", 12, le(Double(-2.25).bitPattern))
        g.kv("t.strings", 9, le(UInt32(8)) + le(UInt64(3)) + str("a") + str("") + str("ünï"))
        g.kv("t.floats", 9, le(UInt32(6)) + le(UInt64(2)) + le(Float(0.5).bitPattern) + le(Float(-1).bitPattern))
        g.kv("t.empty", 9, le(UInt32(5)) + le(UInt64(0)))
        // [[1, 2], [3]] as an array of int32 arrays.
        g.kv("t.nested", 9, le(UInt32(9)) + le(UInt64(2))
            + le(UInt32(5)) + le(UInt64(2)) + le(Int32(1)) + le(Int32(2))
            + le(UInt32(5)) + le(UInt64(1)) + le(Int32(3)))
        // a: f32 [4, 2] = 32 bytes at 0; b: q8_0 [32] = 34 bytes at 32; c: f16 [3] = 6 bytes at 96.
        g.tensors = [
            Tensor(name: "a", dims: [4, 2], type: 0, offset: 0),
            Tensor(name: "b", dims: [32], type: 8, offset: 32),
            Tensor(name: "c", dims: [3], type: 1, offset: 96),
        ]
        var data: [UInt8] = []
        for i in 0 ..< 8 { data += le(Float(i).bitPattern) }
        data += le(Float16(0.25).bitPattern)
        for j in 0 ..< 32 { data.append(UInt8(bitPattern: Int8(j - 16))) }
        while data.count % 32 != 0 { data.append(0) }
        for v: Float16 in [1, -2, 0.5] { data += le(v.bitPattern) }
        while data.count % 32 != 0 { data.append(0) }
        g.data = data
        return g
    }
}

/// A fixed-seed xorshift64* generator so corruption sweeps are reproducible.
struct SeededRNG: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}
