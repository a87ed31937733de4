// SIMD decoders of Q5_0 and Q5_1 rows (layouts in BlockQ5_0.swift / BlockQ5_1.swift):
// Q4-style nibbles plus a 32-bit word of fifth bits, bit j for value j. The bits for
// eight lanes come from one variable shift of the broadcast word (AVX2 vpsrlvd).
// Results equal the reference dequantizers exactly (the same f32 operations).

/// Bits `first ..< first + 8` of `qh`, each moved to bit 4 of its lane.
@inline(__always)
func fifthBits(_ qh: UInt32, _ first: UInt32) -> SIMD8<Int32> {
    let shifts = SIMD8<UInt32>(0, 1, 2, 3, 4, 5, 6, 7) &+ first
    return SIMD8<Int32>(truncatingIfNeeded: ((SIMD8<UInt32>(repeating: qh) &>> shifts) & 1) &<< 4)
}

@inline(__always)
func ints(_ v: SIMD8<UInt8>) -> SIMD8<Int32> {
    SIMD8<Int32>(truncatingIfNeeded: v)
}

/// The 32 five-bit codes of a Q5 block: nibbles at `qs` (16 bytes), fifth bits in `qh`.
@inline(__always)
func q5Codes(_ qs: UnsafeRawPointer, _ qh: UInt32) -> (SIMD8<Int32>, SIMD8<Int32>, SIMD8<Int32>, SIMD8<Int32>) {
    let a = qs.loadUnaligned(as: SIMD8<UInt8>.self)
    let b = qs.loadUnaligned(fromByteOffset: 8, as: SIMD8<UInt8>.self)
    return (ints(a & 0x0F) | fifthBits(qh, 0), ints(b & 0x0F) | fifthBits(qh, 8),
            ints(a &>> 4) | fifthBits(qh, 16), ints(b &>> 4) | fifthBits(qh, 24))
}

/// Q5_0: { d: f16, qh: u32, qs: [16] u8 }, x = d · (q − 16).
struct Q5_0Decoder: FlatRowDecoder {
    static var bytesPer32: Int { 22 }
    @inline(__always) static func decode32(_ p: UnsafeRawPointer) -> Values32 {
        let d = SIMD8<Float>(repeating: halfToFloat(p))
        let (c0, c1, c2, c3) = q5Codes(p + 6, p.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
        let sixteen = SIMD8<Int32>(repeating: 16)
        return Values32(d * SIMD8<Float>(c0 &- sixteen), d * SIMD8<Float>(c1 &- sixteen),
                        d * SIMD8<Float>(c2 &- sixteen), d * SIMD8<Float>(c3 &- sixteen))
    }
    static func scalar(_ row: UnsafeRawPointer, _ index: Int) -> Float {
        let block = row + (index / 32) * 22
        return halfToFloat(block) * Float(BlockQ5_0.code(block, index % 32, qsAt: 6, qhAt: 2) - 16)
    }
}

/// Q5_1: { d: f16, m: f16, qh: u32, qs: [16] u8 }, x = d · q + m.
struct Q5_1Decoder: FlatRowDecoder {
    static var bytesPer32: Int { 24 }
    @inline(__always) static func decode32(_ p: UnsafeRawPointer) -> Values32 {
        let d = SIMD8<Float>(repeating: halfToFloat(p))
        let m = SIMD8<Float>(repeating: halfToFloat(p + 2))
        let (c0, c1, c2, c3) = q5Codes(p + 8, p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        return Values32(d * SIMD8<Float>(c0) + m, d * SIMD8<Float>(c1) + m,
                        d * SIMD8<Float>(c2) + m, d * SIMD8<Float>(c3) + m)
    }
    static func scalar(_ row: UnsafeRawPointer, _ index: Int) -> Float {
        let block = row + (index / 32) * 24
        return halfToFloat(block) * Float(BlockQ5_0.code(block, index % 32, qsAt: 8, qhAt: 4)) + halfToFloat(block + 2)
    }
}
