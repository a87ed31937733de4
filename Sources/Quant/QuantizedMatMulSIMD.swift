// SIMD decoders of ggml weight rows, 32 values at a time, for the quantized products.
// They read the block bytes directly by ggml's fixed layouts (GGMLType.swift header,
// ggml-common.h): little-endian fp16 scales, Q4 nibbles half-split (low nibble of
// byte j = value j, high nibble = value j + 16). Each decoder returns the 32 values
// as four SIMD8<Float>, exactly equal to the reference dequantization (the same
// float operations: q·d, (q - 8)·d, q·d + m).
//
// Non-quantized types (f32, f16, bf16) use the same 32-value "blocks"; a row whose
// length is not a multiple of 32 finishes with `scalar`. Types whose 32-value groups
// lie back to back (`FlatRowDecoder`) decode from a byte address; the K-quants' groups
// share their super-block's scales, so those decode by group index (KQuantDecoders.swift).

@usableFromInline
struct Values32 {
    @usableFromInline var v0: SIMD8<Float>, v1: SIMD8<Float>, v2: SIMD8<Float>, v3: SIMD8<Float>
    @inline(__always) @usableFromInline
    init(_ v0: SIMD8<Float>, _ v1: SIMD8<Float>, _ v2: SIMD8<Float>, _ v3: SIMD8<Float>) {
        self.v0 = v0; self.v1 = v1; self.v2 = v2; self.v3 = v3
    }
}

/// Decodes 32 consecutive values of one weight row.
@usableFromInline
protocol RowDecoder {
    /// Values 32b ..< 32b + 32 of the row starting at `row`.
    static func decode32(_ row: UnsafeRawPointer, group b: Int) -> Values32
    /// Value `index` of a row starting at `row` (row tails and odd column ranges).
    static func scalar(_ row: UnsafeRawPointer, _ index: Int) -> Float
}

/// A type whose 32-value groups are stored back to back in `bytesPer32` bytes each.
@usableFromInline
protocol FlatRowDecoder: RowDecoder {
    /// Bytes per 32 values.
    static var bytesPer32: Int { get }
    /// Values 32b ..< 32b + 32 given the address of their first byte.
    static func decode32(_ p: UnsafeRawPointer) -> Values32
}

extension FlatRowDecoder {
    @inline(__always) static func decode32(_ row: UnsafeRawPointer, group b: Int) -> Values32 {
        decode32(row + b * bytesPer32)
    }
}

@inline(__always)
func halfToFloat(_ p: UnsafeRawPointer) -> Float {
    Float(Float16(bitPattern: p.loadUnaligned(as: UInt16.self)))
}

@inline(__always)
func floats(_ v: SIMD8<UInt8>) -> SIMD8<Float> {
    SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: v))
}

struct F32Decoder: FlatRowDecoder {
    static var bytesPer32: Int { 128 }
    @inline(__always) static func decode32(_ p: UnsafeRawPointer) -> Values32 {
        Values32(p.loadUnaligned(as: SIMD8<Float>.self), p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self),
                 p.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self), p.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
    }
    @inline(__always) static func scalar(_ row: UnsafeRawPointer, _ index: Int) -> Float {
        row.loadUnaligned(fromByteOffset: 4 * index, as: Float.self)
    }
}

struct F16Decoder: FlatRowDecoder {
    static var bytesPer32: Int { 64 }
    @inline(__always) static func decode32(_ p: UnsafeRawPointer) -> Values32 {
        @inline(__always) func h(_ o: Int) -> SIMD8<Float> {
            SIMD8<Float>(p.loadUnaligned(fromByteOffset: o, as: SIMD8<Float16>.self))
        }
        return Values32(h(0), h(16), h(32), h(48))
    }
    @inline(__always) static func scalar(_ row: UnsafeRawPointer, _ index: Int) -> Float {
        halfToFloat(row + 2 * index)
    }
}

struct BF16Decoder: FlatRowDecoder {
    static var bytesPer32: Int { 64 }
    @inline(__always) static func decode32(_ p: UnsafeRawPointer) -> Values32 {
        // bf16 is the top half of an f32: widen and shift into place.
        @inline(__always) func b(_ o: Int) -> SIMD8<Float> {
            let u = SIMD8<UInt32>(truncatingIfNeeded: p.loadUnaligned(fromByteOffset: o, as: SIMD8<UInt16>.self)) &<< 16
            return unsafeBitCast(u, to: SIMD8<Float>.self)
        }
        return Values32(b(0), b(16), b(32), b(48))
    }
    @inline(__always) static func scalar(_ row: UnsafeRawPointer, _ index: Int) -> Float {
        Float(bitPattern: UInt32(row.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self)) << 16)
    }
}

/// Q8_0: { d: f16, qs: [32] i8 }, x = q · d.
struct Q8_0Decoder: FlatRowDecoder {
    static var bytesPer32: Int { 34 }
    @inline(__always) static func decode32(_ p: UnsafeRawPointer) -> Values32 {
        let d = SIMD8<Float>(repeating: halfToFloat(p))
        @inline(__always) func q(_ o: Int) -> SIMD8<Float> {
            SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: p.loadUnaligned(fromByteOffset: 2 + o, as: SIMD8<Int8>.self))) * d
        }
        return Values32(q(0), q(8), q(16), q(24))
    }
    static func scalar(_ row: UnsafeRawPointer, _ index: Int) -> Float {
        let block = row + (index / 32) * 34
        return Float(block.load(fromByteOffset: 2 + index % 32, as: Int8.self)) * halfToFloat(block)
    }
}

/// Q4_0: { d: f16, qs: [16] u8 }, x = (q - 8) · d.
struct Q4_0Decoder: FlatRowDecoder {
    static var bytesPer32: Int { 18 }
    @inline(__always) static func decode32(_ p: UnsafeRawPointer) -> Values32 {
        let d = SIMD8<Float>(repeating: halfToFloat(p))
        let a = p.loadUnaligned(fromByteOffset: 2, as: SIMD8<UInt8>.self)
        let b = p.loadUnaligned(fromByteOffset: 10, as: SIMD8<UInt8>.self)
        let eight = SIMD8<Float>(repeating: 8)
        return Values32((floats(a & 0x0F) - eight) * d, (floats(b & 0x0F) - eight) * d,
                        (floats(a &>> 4) - eight) * d, (floats(b &>> 4) - eight) * d)
    }
    static func scalar(_ row: UnsafeRawPointer, _ index: Int) -> Float {
        let block = row + (index / 32) * 18, j = index % 32
        let byte = block.load(fromByteOffset: 2 + j % 16, as: UInt8.self)
        return (Float(j < 16 ? byte & 0x0F : byte >> 4) - 8) * halfToFloat(block)
    }
}

/// Q4_1: { d: f16, m: f16, qs: [16] u8 }, x = q · d + m.
struct Q4_1Decoder: FlatRowDecoder {
    static var bytesPer32: Int { 20 }
    @inline(__always) static func decode32(_ p: UnsafeRawPointer) -> Values32 {
        let d = SIMD8<Float>(repeating: halfToFloat(p))
        let m = SIMD8<Float>(repeating: halfToFloat(p + 2))
        let a = p.loadUnaligned(fromByteOffset: 4, as: SIMD8<UInt8>.self)
        let b = p.loadUnaligned(fromByteOffset: 12, as: SIMD8<UInt8>.self)
        return Values32(floats(a & 0x0F) * d + m, floats(b & 0x0F) * d + m,
                        floats(a &>> 4) * d + m, floats(b &>> 4) * d + m)
    }
    static func scalar(_ row: UnsafeRawPointer, _ index: Int) -> Float {
        let block = row + (index / 32) * 20, j = index % 32
        let byte = block.load(fromByteOffset: 4 + j % 16, as: UInt8.self)
        return Float(j < 16 ? byte & 0x0F : byte >> 4) * halfToFloat(block) + halfToFloat(block + 2)
    }
}

extension Values32 {
    @inline(__always) func store(_ out: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(out).storeBytes(of: v0, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(out + 8).storeBytes(of: v1, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(out + 16).storeBytes(of: v2, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(out + 24).storeBytes(of: v3, as: SIMD8<Float>.self)
    }
}

/// Dequantizes `count` rows of `k` values, starting at `first`, into out[count, k].
@inline(__always)
func decodeRows<D: RowDecoder>(_: D.Type, _ weight: WeightMatrix, first: Int, count: Int,
                               into out: UnsafeMutablePointer<Float>) {
    let k = weight.cols
    let blocks = k / 32
    for r in 0..<count {
        let src = weight.row(first + r)
        let dst = out + r * k
        for b in 0..<blocks { D.decode32(src, group: b).store(dst + 32 * b) }
        for i in (32 * blocks)..<k { dst[i] = D.scalar(src, i) }
    }
}

/// Packs W's columns 16·slivers as GEMM B slivers: sliver s at out + (s − s0)·n·16,
/// element (p, c) = W[p, 16s + c], zeros past k. Ranges start at even slivers (whole
/// 32-value blocks); only unblocked types have a partial last block (scalar).
@inline(__always)
func decodeColumns<D: RowDecoder>(_: D.Type, _ weight: WeightMatrix, slivers: Range<Int>,
                                  into out: UnsafeMutablePointer<Float>) {
    let n = weight.rows, k = weight.cols
    let s0 = slivers.lowerBound
    let cEnd = 16 * slivers.upperBound
    for p in 0..<n {
        let src = weight.row(p)
        var col = 16 * s0
        while col < cEnd {
            let dst0 = out + (col / 16 - s0) * n * 16 + p * 16
            if col % 32 == 0 && col + 32 <= k {
                let v = D.decode32(src, group: col / 32)
                UnsafeMutableRawPointer(dst0).storeBytes(of: v.v0, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(dst0 + 8).storeBytes(of: v.v1, as: SIMD8<Float>.self)
                if col + 16 < cEnd {
                    let dst1 = dst0 + n * 16
                    UnsafeMutableRawPointer(dst1).storeBytes(of: v.v2, as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(dst1 + 8).storeBytes(of: v.v3, as: SIMD8<Float>.self)
                }
                col += 32
            } else {
                for c in 0..<16 { dst0[c] = col + c < k ? D.scalar(src, col + c) : 0 }
                col += 16
            }
        }
    }
}

/// y[i, j] (+)= x[i, :] · W[j, :] for i in 0..<m (m small), j in `rows`, decoding each
/// W block once into registers and applying it to every x row. Four accumulators per
/// x row (one per 8-lane quarter of a block) keep FMA chains independent.
@inline(__always)
func dotRowsDecoded<D: RowDecoder>(_: D.Type, _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                                   weight: WeightMatrix, m: Int, rows: Range<Int>, accumulate: Bool) {
    let k = weight.cols, n = weight.rows
    let blocks = k / 32
    for j in rows {
        let src = weight.row(j)
        var i = 0
        while i + 1 < m {
            // Two x rows per pass share each decoded block.
            let x0 = x + i * k
            let x1 = x0 + k
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
            var b0 = SIMD8<Float>(), b1 = SIMD8<Float>(), b2 = SIMD8<Float>(), b3 = SIMD8<Float>()
            for b in 0..<blocks {
                let w = D.decode32(src, group: b)
                let o = 32 * b
                a0 = a0.addingProduct(w.v0, UnsafeRawPointer(x0 + o).loadUnaligned(as: SIMD8<Float>.self))
                a1 = a1.addingProduct(w.v1, UnsafeRawPointer(x0 + o + 8).loadUnaligned(as: SIMD8<Float>.self))
                a2 = a2.addingProduct(w.v2, UnsafeRawPointer(x0 + o + 16).loadUnaligned(as: SIMD8<Float>.self))
                a3 = a3.addingProduct(w.v3, UnsafeRawPointer(x0 + o + 24).loadUnaligned(as: SIMD8<Float>.self))
                b0 = b0.addingProduct(w.v0, UnsafeRawPointer(x1 + o).loadUnaligned(as: SIMD8<Float>.self))
                b1 = b1.addingProduct(w.v1, UnsafeRawPointer(x1 + o + 8).loadUnaligned(as: SIMD8<Float>.self))
                b2 = b2.addingProduct(w.v2, UnsafeRawPointer(x1 + o + 16).loadUnaligned(as: SIMD8<Float>.self))
                b3 = b3.addingProduct(w.v3, UnsafeRawPointer(x1 + o + 24).loadUnaligned(as: SIMD8<Float>.self))
            }
            var s0 = ((a0 + a1) + (a2 + a3)).sum()
            var s1 = ((b0 + b1) + (b2 + b3)).sum()
            for p in (32 * blocks)..<k {
                let wv = D.scalar(src, p)
                s0 += wv * x0[p]
                s1 += wv * x1[p]
            }
            if accumulate { y[i * n + j] += s0 } else { y[i * n + j] = s0 }
            if accumulate { y[(i + 1) * n + j] += s1 } else { y[(i + 1) * n + j] = s1 }
            i += 2
        }
        if i < m {
            let x0 = x + i * k
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
            for b in 0..<blocks {
                let w = D.decode32(src, group: b)
                let o = 32 * b
                a0 = a0.addingProduct(w.v0, UnsafeRawPointer(x0 + o).loadUnaligned(as: SIMD8<Float>.self))
                a1 = a1.addingProduct(w.v1, UnsafeRawPointer(x0 + o + 8).loadUnaligned(as: SIMD8<Float>.self))
                a2 = a2.addingProduct(w.v2, UnsafeRawPointer(x0 + o + 16).loadUnaligned(as: SIMD8<Float>.self))
                a3 = a3.addingProduct(w.v3, UnsafeRawPointer(x0 + o + 24).loadUnaligned(as: SIMD8<Float>.self))
            }
            var s0 = ((a0 + a1) + (a2 + a3)).sum()
            for p in (32 * blocks)..<k { s0 += D.scalar(src, p) * x0[p] }
            if accumulate { y[i * n + j] += s0 } else { y[i * n + j] = s0 }
        }
    }
}
