// The register-tiled f32 micro-kernels at the heart of every matrix product.
//
// Shape: a tile of 6 "A rows" × 16 "B columns" accumulated over depth k:
//     C[r, c] = Σ_p A[r, p] · B[p, c]      r in 0..<6, c in 0..<16
// A is read by broadcasting one scalar per row and depth (A rows may be strided:
// element (r, p) is at a_r + p·aStep), B is read as 16 contiguous floats per depth
// (row p of B at b + p·ldb). 12 ymm accumulators + 2 B vectors + 1 broadcast = 15 of
// the 16 AVX2 registers: per depth step 12 FMAs against 8 loads, so the two FMA pipes
// of Zen 3 stay the bottleneck (BLIS / ggml-style outer-product kernel; see
// docs/kernels.md "Tiling").
//
// The 6×8 variant serves tails where at most 8 B columns remain.

/// Accumulators of a 6×16 tile: row r is (lo: columns 0..<8, hi: columns 8..<16).
@usableFromInline
struct Tile6x16 {
    @usableFromInline var c00 = SIMD8<Float>(), c01 = SIMD8<Float>()
    @usableFromInline var c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
    @usableFromInline var c20 = SIMD8<Float>(), c21 = SIMD8<Float>()
    @usableFromInline var c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
    @usableFromInline var c40 = SIMD8<Float>(), c41 = SIMD8<Float>()
    @usableFromInline var c50 = SIMD8<Float>(), c51 = SIMD8<Float>()

    @inline(__always) @usableFromInline init() {}

    /// Writes the tile row-major as 6 rows of 16 floats.
    @inline(__always) @usableFromInline
    func spill(_ out: UnsafeMutablePointer<Float>) {
        out.store8(c00, 0); out.store8(c01, 8)
        out.store8(c10, 16); out.store8(c11, 24)
        out.store8(c20, 32); out.store8(c21, 40)
        out.store8(c30, 48); out.store8(c31, 56)
        out.store8(c40, 64); out.store8(c41, 72)
        out.store8(c50, 80); out.store8(c51, 88)
    }
}

/// Six A-row pointers; rows past the valid count point at a valid row (computed, never stored).
@usableFromInline
struct ARows {
    @usableFromInline var r0, r1, r2, r3, r4, r5: UnsafePointer<Float>

    /// Rows base + r·rowStride for r < count; the rest repeat row 0.
    @inline(__always) @usableFromInline
    init(_ base: UnsafePointer<Float>, rowStride: Int, count: Int) {
        r0 = base
        r1 = count > 1 ? base + rowStride : base
        r2 = count > 2 ? base + 2 * rowStride : base
        r3 = count > 3 ? base + 3 * rowStride : base
        r4 = count > 4 ? base + 4 * rowStride : base
        r5 = count > 5 ? base + 5 * rowStride : base
    }
}

@inline(__always) @usableFromInline
func kernel6x16(_ a: ARows, aStep: Int, _ b: UnsafePointer<Float>, ldb: Int, k: Int) -> Tile6x16 {
    var t = Tile6x16()
    var a0 = a.r0, a1 = a.r1, a2 = a.r2, a3 = a.r3, a4 = a.r4, a5 = a.r5
    var pb = b
    for _ in 0..<k {
        let b0 = pb.load8(0), b1 = pb.load8(8)
        var s = SIMD8<Float>(repeating: a0.pointee)
        t.c00 = t.c00.addingProduct(s, b0); t.c01 = t.c01.addingProduct(s, b1)
        s = SIMD8<Float>(repeating: a1.pointee)
        t.c10 = t.c10.addingProduct(s, b0); t.c11 = t.c11.addingProduct(s, b1)
        s = SIMD8<Float>(repeating: a2.pointee)
        t.c20 = t.c20.addingProduct(s, b0); t.c21 = t.c21.addingProduct(s, b1)
        s = SIMD8<Float>(repeating: a3.pointee)
        t.c30 = t.c30.addingProduct(s, b0); t.c31 = t.c31.addingProduct(s, b1)
        s = SIMD8<Float>(repeating: a4.pointee)
        t.c40 = t.c40.addingProduct(s, b0); t.c41 = t.c41.addingProduct(s, b1)
        s = SIMD8<Float>(repeating: a5.pointee)
        t.c50 = t.c50.addingProduct(s, b0); t.c51 = t.c51.addingProduct(s, b1)
        a0 += aStep; a1 += aStep; a2 += aStep; a3 += aStep; a4 += aStep; a5 += aStep
        pb += ldb
    }
    return t
}

@inline(__always) @usableFromInline
func kernel6x8(_ a: ARows, aStep: Int, _ b: UnsafePointer<Float>, ldb: Int, k: Int) -> Tile6x16 {
    var t = Tile6x16()
    var a0 = a.r0, a1 = a.r1, a2 = a.r2, a3 = a.r3, a4 = a.r4, a5 = a.r5
    var pb = b
    for _ in 0..<k {
        let b0 = pb.load8(0)
        t.c00 = t.c00.addingProduct(SIMD8<Float>(repeating: a0.pointee), b0)
        t.c10 = t.c10.addingProduct(SIMD8<Float>(repeating: a1.pointee), b0)
        t.c20 = t.c20.addingProduct(SIMD8<Float>(repeating: a2.pointee), b0)
        t.c30 = t.c30.addingProduct(SIMD8<Float>(repeating: a3.pointee), b0)
        t.c40 = t.c40.addingProduct(SIMD8<Float>(repeating: a4.pointee), b0)
        t.c50 = t.c50.addingProduct(SIMD8<Float>(repeating: a5.pointee), b0)
        a0 += aStep; a1 += aStep; a2 += aStep; a3 += aStep; a4 += aStep; a5 += aStep
        pb += ldb
    }
    return t
}

/// Computes one tile (columns ≤ 16) and writes its valid part to C:
/// C(r, c) at c0 + r·cRowStride + c·cColStride, `rows` ≤ 6 and `cols` ≤ 16 valid.
@inline(__always) @usableFromInline
func computeTile(_ a: ARows, aStep: Int, _ b: UnsafePointer<Float>, ldb: Int, k: Int,
                 _ c: UnsafeMutablePointer<Float>, cRowStride: Int, cColStride: Int,
                 rows: Int, cols: Int, accumulate: Bool) {
    let t = cols > 8 ? kernel6x16(a, aStep: aStep, b, ldb: ldb, k: k)
                     : kernel6x8(a, aStep: aStep, b, ldb: ldb, k: k)
    if cColStride == 1 && cols == 16 && rows == 6 {
        // Contiguous C rows: vector read-modify-write.
        @inline(__always) func put(_ r: Int, _ lo: SIMD8<Float>, _ hi: SIMD8<Float>) {
            let p = c + r * cRowStride
            if accumulate { p.store8(p.load8(0) + lo, 0); p.store8(p.load8(8) + hi, 8) }
            else { p.store8(lo, 0); p.store8(hi, 8) }
        }
        put(0, t.c00, t.c01); put(1, t.c10, t.c11); put(2, t.c20, t.c21)
        put(3, t.c30, t.c31); put(4, t.c40, t.c41); put(5, t.c50, t.c51)
        return
    }
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 96) { buf in
        let tmp = buf.baseAddress!
        t.spill(tmp)
        for r in 0..<rows {
            let src = tmp + 16 * r
            let dst = c + r * cRowStride
            if accumulate {
                for col in 0..<cols { dst[col * cColStride] += src[col] }
            } else {
                for col in 0..<cols { dst[col * cColStride] = src[col] }
            }
        }
    }
}
