// SIMD decoders of K-quant rows (layouts in BlockQ2_K ... BlockQ6_K.swift). A row is a
// run of 256-value super-blocks; group b (32 values) is sub-group b % 8 of super-block
// b / 8, decoded with that super-block's fp16 scales and its packed sub-scales. Each
// group unpacks its codes from four 8-byte loads and applies one or two f32 scales
// (two where a scale covers 16 values: Q2_K, Q3_K, Q6_K), so the matrix products use
// these exactly like the Q4_1 decoder. Values equal the reference dequantizers exactly:
// the same f32 operations in the same order (scale products first, as gguf.quants does).

/// Four 8-byte loads: the 32 bytes at `p`.
@inline(__always)
func bytes32(_ p: UnsafeRawPointer) -> (SIMD8<UInt8>, SIMD8<UInt8>, SIMD8<UInt8>, SIMD8<UInt8>) {
    (p.loadUnaligned(as: SIMD8<UInt8>.self), p.loadUnaligned(fromByteOffset: 8, as: SIMD8<UInt8>.self),
     p.loadUnaligned(fromByteOffset: 16, as: SIMD8<UInt8>.self), p.loadUnaligned(fromByteOffset: 24, as: SIMD8<UInt8>.self))
}

/// A K-quant decoder: `scalar` reads a lane of the group decode (only row tails use it,
/// and K-quant rows have none: their length is a multiple of 256).
protocol SuperBlockDecoder: RowDecoder {}

extension SuperBlockDecoder {
    static func scalar(_ row: UnsafeRawPointer, _ index: Int) -> Float {
        let v = decode32(row, group: index / 32)
        let lane = index % 8
        switch (index % 32) / 8 {
        case 0: return v.v0[lane]
        case 1: return v.v1[lane]
        case 2: return v.v2[lane]
        default: return v.v3[lane]
        }
    }
}

/// Q4_K group j of a super-block: (d·scale_j)·q − dmin·min_j, q = nibbles of qs[32(j/2)...].
struct Q4_KDecoder: SuperBlockDecoder {
    @inline(__always) static func decode32(_ row: UnsafeRawPointer, group b: Int) -> Values32 {
        let blk = row + (b >> 3) * 144, j = b & 7
        let (sc, mn) = KQuantScales.scaleMin(blk + 4, j)
        let d1 = SIMD8<Float>(repeating: halfToFloat(blk) * Float(sc))
        let m1 = SIMD8<Float>(repeating: halfToFloat(blk + 2) * Float(mn))
        let shift = UInt8(4 * (j & 1))
        let (a, b1, c, e) = bytes32(blk + 16 + 32 * (j >> 1))
        return Values32(d1 * floats((a &>> shift) & 0x0F) - m1, d1 * floats((b1 &>> shift) & 0x0F) - m1,
                        d1 * floats((c &>> shift) & 0x0F) - m1, d1 * floats((e &>> shift) & 0x0F) - m1)
    }
}

/// Q5_K group j: Q4_K's nibble plus bit j of qh[l] as bit 4.
struct Q5_KDecoder: SuperBlockDecoder {
    @inline(__always) static func decode32(_ row: UnsafeRawPointer, group b: Int) -> Values32 {
        let blk = row + (b >> 3) * 176, j = b & 7
        let (sc, mn) = KQuantScales.scaleMin(blk + 4, j)
        let d1 = SIMD8<Float>(repeating: halfToFloat(blk) * Float(sc))
        let m1 = SIMD8<Float>(repeating: halfToFloat(blk + 2) * Float(mn))
        let shift = UInt8(4 * (j & 1)), hshift = UInt8(j)
        let (a, b1, c, e) = bytes32(blk + 48 + 32 * (j >> 1))
        let (ha, hb, hc, he) = bytes32(blk + 16)
        @inline(__always) func q(_ low: SIMD8<UInt8>, _ high: SIMD8<UInt8>) -> SIMD8<Float> {
            floats(((low &>> shift) & 0x0F) | (((high &>> hshift) & 1) &<< 4))
        }
        return Values32(d1 * q(a, ha) - m1, d1 * q(b1, hb) - m1, d1 * q(c, hc) - m1, d1 * q(e, he) - m1)
    }
}

/// Q6_K group t of half h: (d·scale)·(low | high << 4 − 32), a scale per 16 values.
struct Q6_KDecoder: SuperBlockDecoder {
    @inline(__always) static func decode32(_ row: UnsafeRawPointer, group b: Int) -> Values32 {
        let blk = row + (b >> 3) * 210
        let h = (b & 7) >> 2, t = b & 3
        let d = halfToFloat(blk + 208)
        let s0 = SIMD8<Float>(repeating: d * Float(blk.load(fromByteOffset: 192 + 8 * h + 2 * t, as: Int8.self)))
        let s1 = SIMD8<Float>(repeating: d * Float(blk.load(fromByteOffset: 193 + 8 * h + 2 * t, as: Int8.self)))
        let shift = UInt8(4 * (t >> 1)), hshift = UInt8(2 * t)
        let (a, b1, c, e) = bytes32(blk + 64 * h + 32 * (t & 1))
        let (ha, hb, hc, he) = bytes32(blk + 128 + 32 * h)
        let bias = SIMD8<Int32>(repeating: 32)
        @inline(__always) func q(_ low: SIMD8<UInt8>, _ high: SIMD8<UInt8>) -> SIMD8<Float> {
            SIMD8<Float>(ints(((low &>> shift) & 0x0F) | (((high &>> hshift) & 3) &<< 4)) &- bias)
        }
        return Values32(s0 * q(a, ha), s0 * q(b1, hb), s1 * q(c, hc), s1 * q(e, he))
    }
}

/// Q2_K group t of half h: (d·scale)·q − dmin·min, 2-bit q, a (scale, min) per 16 values.
struct Q2_KDecoder: SuperBlockDecoder {
    @inline(__always) static func decode32(_ row: UnsafeRawPointer, group b: Int) -> Values32 {
        let blk = row + (b >> 3) * 84
        let g = b & 7, h = g >> 2, s = g & 3
        let d = halfToFloat(blk + 80), dmin = halfToFloat(blk + 82)
        let sm0 = blk.load(fromByteOffset: 2 * g, as: UInt8.self), sm1 = blk.load(fromByteOffset: 2 * g + 1, as: UInt8.self)
        let d0 = SIMD8<Float>(repeating: d * Float(sm0 & 0x0F)), m0 = SIMD8<Float>(repeating: dmin * Float(sm0 >> 4))
        let d1 = SIMD8<Float>(repeating: d * Float(sm1 & 0x0F)), m1 = SIMD8<Float>(repeating: dmin * Float(sm1 >> 4))
        let shift = UInt8(2 * s)
        let (a, b1, c, e) = bytes32(blk + 16 + 32 * h)
        return Values32(d0 * floats((a &>> shift) & 3) - m0, d0 * floats((b1 &>> shift) & 3) - m0,
                        d1 * floats((c &>> shift) & 3) - m1, d1 * floats((e &>> shift) & 3) - m1)
    }
}

/// Q3_K group t of half h: (d·scale)·(low − 4 + 4·hbit), a signed 6-bit scale per 16 values.
struct Q3_KDecoder: SuperBlockDecoder {
    @inline(__always) static func decode32(_ row: UnsafeRawPointer, group b: Int) -> Values32 {
        let blk = row + (b >> 3) * 110
        let g = b & 7, h = g >> 2, s = g & 3
        let d = halfToFloat(blk + 108)
        let d0 = SIMD8<Float>(repeating: d * Float(KQuantScales.q3Scale(blk + 96, 2 * g)))
        let d1 = SIMD8<Float>(repeating: d * Float(KQuantScales.q3Scale(blk + 96, 2 * g + 1)))
        let shift = UInt8(2 * s), hshift = UInt8(g)
        let (a, b1, c, e) = bytes32(blk + 32 + 32 * h)
        let (ha, hb, hc, he) = bytes32(blk)
        let four = SIMD8<Int32>(repeating: 4)
        @inline(__always) func q(_ low: SIMD8<UInt8>, _ high: SIMD8<UInt8>) -> SIMD8<Float> {
            SIMD8<Float>(ints((low &>> shift) & 3) &- four &+ ints(((high &>> hshift) & 1) &<< 2))
        }
        return Values32(d0 * q(a, ha), d0 * q(b1, hb), d1 * q(c, hc), d1 * q(e, he))
    }
}
