// Experiment behind docs/kernels.md "Activations: f32, not Q8": Q4_1 weight × activation
// dot products at m = 1 (one token, k = 576, n = 1536), one core, CPU time.
// (b)  decode each Q4_1 block to f32 (q·d + m) and FMA with f32 x;
// (b') as (b) with the block offset folded: d·Σq·x + m·Σx, Σx per block once per product;
// (a)  quantize x once to Q8 (int8 + per-block scale and sum, as ggml's Q8_1) and do
//      integer block dots with Swift SIMD (widen to Int16, multiply-add, widen to Int32).
// Not part of the package. Build and run:
//   swiftc -Ounchecked -Xcc -mavx2 -Xcc -mfma -Xcc -mf16c Tools/experiments/q8_activation_dot.swift -o /tmp/q8exp && /tmp/q8exp
#if canImport(Glibc)
import Glibc
#endif

let k = 576, n = 1536, blocks = k / 32
var rngState: UInt64 = 42
func rnd() -> UInt64 { rngState = rngState &* 6364136223846793005 &+ 1442695040888963407; return rngState >> 33 }

// Q4_1 weights: { d: f16, m: f16, qs[16] }
var w = [UInt8](repeating: 0, count: n * blocks * 20)
for b in 0..<(n * blocks) {
    let d = Float16(Float(rnd() % 100) / 1000 + 0.01).bitPattern, m = Float16(-Float(rnd() % 100) / 200).bitPattern
    w[b * 20] = UInt8(d & 0xFF); w[b * 20 + 1] = UInt8(d >> 8); w[b * 20 + 2] = UInt8(m & 0xFF); w[b * 20 + 3] = UInt8(m >> 8)
    for j in 0..<16 { w[b * 20 + 4 + j] = UInt8(truncatingIfNeeded: rnd()) }
}
let x = (0..<k).map { _ in Float(rnd() % 2000) / 1000 - 1 }
var y = [Float](repeating: 0, count: n)

@inline(__always) func h(_ p: UnsafeRawPointer) -> Float { Float(Float16(bitPattern: p.loadUnaligned(as: UInt16.self))) }
@inline(__always) func f(_ v: SIMD8<UInt8>) -> SIMD8<Float> { SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: v)) }

@inline(never)
func pathB(_ w: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
    for j in 0..<n {
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        for b in 0..<blocks {
            let p = w + (j * blocks + b) * 20
            let d = SIMD8<Float>(repeating: h(p)), m = SIMD8<Float>(repeating: h(p + 2))
            let lo = p.loadUnaligned(fromByteOffset: 4, as: SIMD8<UInt8>.self)
            let hi = p.loadUnaligned(fromByteOffset: 12, as: SIMD8<UInt8>.self)
            let xb = UnsafeRawPointer(x + 32 * b)
            a0 = a0.addingProduct(f(lo & 0x0F) * d + m, xb.loadUnaligned(as: SIMD8<Float>.self))
            a1 = a1.addingProduct(f(hi & 0x0F) * d + m, xb.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
            a2 = a2.addingProduct(f(lo &>> 4) * d + m, xb.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self))
            a3 = a3.addingProduct(f(hi &>> 4) * d + m, xb.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
        }
        y[j] = ((a0 + a1) + (a2 + a3)).sum()
    }
}

// (b') as (b) but with the block offset folded: Σ(q·d + m)·x = d·Σq·x + m·Σx, Σx per block
// computed once per product (f32, no rounding of x).
var xsum = [Float](repeating: 0, count: blocks)
@inline(never)
func sumX(_ x: UnsafePointer<Float>) {
    for b in 0..<blocks { var s: Float = 0; for i in 0..<32 { s += x[32 * b + i] }; xsum[b] = s }
}
@inline(never)
func pathB2(_ w: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ xsum: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
    for j in 0..<n {
        var acc = SIMD8<Float>(), acc2 = SIMD8<Float>()
        var bias: Float = 0
        for b in 0..<blocks {
            let p = w + (j * blocks + b) * 20
            let lo = p.loadUnaligned(fromByteOffset: 4, as: SIMD8<UInt8>.self)
            let hi = p.loadUnaligned(fromByteOffset: 12, as: SIMD8<UInt8>.self)
            let xb = UnsafeRawPointer(x + 32 * b)
            var t0 = f(lo & 0x0F) * xb.loadUnaligned(as: SIMD8<Float>.self)
            var t1 = f(hi & 0x0F) * xb.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
            t0 = t0.addingProduct(f(lo &>> 4), xb.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self))
            t1 = t1.addingProduct(f(hi &>> 4), xb.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
            if b & 1 == 0 { acc = acc.addingProduct(t0 + t1, SIMD8<Float>(repeating: h(p))) }
            else { acc2 = acc2.addingProduct(t0 + t1, SIMD8<Float>(repeating: h(p))) }
            bias += h(p + 2) * xsum[b]
        }
        y[j] = (acc + acc2).sum() + bias
    }
}

// Q8 activations: per block int8 q[32], scale dx, and sum sx = dx·Σq (ggml's Q8_1 `s`).
var xq = [Int8](repeating: 0, count: k)
var xd = [Float](repeating: 0, count: blocks), xs = [Float](repeating: 0, count: blocks)

@inline(never)
func quantizeX(_ x: UnsafePointer<Float>) {
    for b in 0..<blocks {
        var amax: Float = 0
        for i in 0..<32 { amax = max(amax, abs(x[32 * b + i])) }
        let d = amax / 127, id = d > 0 ? 1 / d : 0
        var s = 0
        for i in 0..<32 { let q = Int8((x[32 * b + i] * id).rounded()); xq[32 * b + i] = q; s += Int(q) }
        xd[b] = d; xs[b] = d * Float(s)
    }
}

@inline(never)
func pathA(_ w: UnsafeRawPointer, _ xq: UnsafePointer<Int8>, _ xd: UnsafePointer<Float>, _ xs: UnsafePointer<Float>,
           _ y: UnsafeMutablePointer<Float>) {
    for j in 0..<n {
        var acc = SIMD8<Float>()
        var bias: Float = 0
        for b in 0..<blocks {
            let p = w + (j * blocks + b) * 20
            // SIMD8 pieces: SIMD16 integer conversions are not inlined by the Swift stdlib.
            let lo = p.loadUnaligned(fromByteOffset: 4, as: SIMD8<UInt8>.self)
            let hi = p.loadUnaligned(fromByteOffset: 12, as: SIMD8<UInt8>.self)
            let xr = UnsafeRawPointer(xq + 32 * b)
            @inline(__always) func i16(_ v: SIMD8<UInt8>) -> SIMD8<Int16> { SIMD8<Int16>(truncatingIfNeeded: v) }
            @inline(__always) func x16(_ o: Int) -> SIMD8<Int16> {
                SIMD8<Int16>(truncatingIfNeeded: xr.loadUnaligned(fromByteOffset: o, as: SIMD8<Int8>.self))
            }
            // |Σ| ≤ 4·15·128 fits Int16.
            let prod = i16(lo & 0x0F) &* x16(0) &+ i16(hi & 0x0F) &* x16(8) &+ i16(lo &>> 4) &* x16(16) &+ i16(hi &>> 4) &* x16(24)
            let sum32 = SIMD8<Int32>(truncatingIfNeeded: prod)
            let dw = h(p), mw = h(p + 2)
            acc = acc.addingProduct(SIMD8<Float>(sum32), SIMD8<Float>(repeating: dw * xd[b]))
            bias += mw * xs[b]
        }
        y[j] = acc.sum() + bias
    }
}

func fmt(_ v: Double) -> String { String((v * 10).rounded() / 10) }
func cpu() -> Double { var t = timespec(); clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9 }
func best(_ body: () -> Void) -> Double {
    var bestT = Double.infinity
    for _ in 0..<30 { let t0 = cpu(); for _ in 0..<10 { body() }; bestT = min(bestT, (cpu() - t0) / 10) }
    return bestT
}
let flops = 2.0 * Double(n * k)
var yb = [Float](repeating: 0, count: n), ya = [Float](repeating: 0, count: n)
w.withUnsafeBytes { wp in
    let tb = best { pathB(wp.baseAddress!, x, &yb) }
    let tq = best { quantizeX(x) }
    var yb2 = [Float](repeating: 0, count: n)
    let ts = best { sumX(x) }
    let tb2 = best { pathB2(wp.baseAddress!, x, xsum, &yb2) }
    var err2: Float = 0
    for j in 0..<n { err2 = max(err2, abs(yb2[j] - yb[j])) }
    let ta = best { pathA(wp.baseAddress!, xq, xd, xs, &ya) }
    var err: Float = 0, mag: Float = 0
    for j in 0..<n { err = max(err, abs(ya[j] - yb[j])); mag = max(mag, abs(yb[j])) }
    print("k=\(k) n=\(n) m=1, one core, CPU time")
    print("(b) decode to f32 + FMA:        \(fmt(flops / tb / 1e9)) GFLOP/s")
    print("(b') (b) with offsets folded via Σx: \(fmt(flops / (tb2 + ts) / 1e9)) GFLOP/s (max diff to (b): \(err2))")
    print("(a) Q8 x, integer block dots:   \(fmt(flops / (ta + tq) / 1e9)) GFLOP/s (quantizing x: \(fmt(tq * 1e6)) us of \(fmt((ta + tq) * 1e6)) us)")
    print("max |(a) - (b)| = \(err) (max |y| = \(mag)): the Q8 rounding of x")
}
