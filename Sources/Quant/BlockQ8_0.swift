// Q8_0 blocks (ggml-common.h `block_q8_0`): 32 values in 34 bytes,
//   [0..2) d: f16 scale, [2..34) qs: 32 x int8;  x[j] = qs[j] * d.
// Quantization follows ggml's `quantize_row_q8_0_ref`: d = max|x| / 127,
// qs = roundf(x / d). Q8_0 is also the activation format ggml pairs with Q4_0 and
// Q8_0 weights, so the block-vs-block dot products live here and in the weight files.
//
// These are scalar reference routines: the SIMD kernels (Kernels/, Quant/*SIMD*)
// must agree with them. Buffer sizes are preconditions; `Quantization` checks them.

public enum BlockQ8_0 {
    public static let valuesPerBlock = 32
    public static let bytesPerBlock = 34

    /// Quantizes `x` (count a multiple of 32) into `x.count / 32` blocks at `out`.
    public static func quantize(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableRawPointer) {
        precondition(x.count % valuesPerBlock == 0)
        guard let src = x.baseAddress else { return }
        for b in 0 ..< x.count / valuesPerBlock {
            let v = src + b * valuesPerBlock
            let blk = out + b * bytesPerBlock
            var amax: Float = 0
            for j in 0 ..< 32 { amax = max(amax, abs(v[j])) }
            let d = amax / 127
            let id: Float = d != 0 ? 1 / d : 0
            blk.storeBlockF16(d, at: 0)
            for j in 0 ..< 32 {
                blk.storeBytes(of: Int8(truncatingIfNeeded: BlockRounding.roundInt8(v[j] * id)),
                               toByteOffset: 2 + j, as: Int8.self)
            }
        }
    }

    /// Dequantizes `y.count` values (a multiple of 32) from the blocks at `q`.
    public static func dequantize(_ q: UnsafeRawPointer, into y: UnsafeMutableBufferPointer<Float>) {
        precondition(y.count % valuesPerBlock == 0)
        guard let dst = y.baseAddress else { return }
        for b in 0 ..< y.count / valuesPerBlock {
            let blk = q + b * bytesPerBlock
            let d = blk.blockF16(at: 0)
            for j in 0 ..< 32 {
                dst[b * 32 + j] = Float(blk.load(fromByteOffset: 2 + j, as: Int8.self)) * d
            }
        }
    }

    /// Reference dot product of a Q8_0 row with an f32 vector (`x.count` values).
    public static func dot(_ q: UnsafeRawPointer, _ x: UnsafeBufferPointer<Float>) -> Float {
        precondition(x.count % valuesPerBlock == 0)
        guard let v = x.baseAddress else { return 0 }
        var sum: Float = 0
        for b in 0 ..< x.count / valuesPerBlock {
            let blk = q + b * bytesPerBlock
            var s: Float = 0
            for j in 0 ..< 32 { s += Float(blk.load(fromByteOffset: 2 + j, as: Int8.self)) * v[b * 32 + j] }
            sum += s * blk.blockF16(at: 0)
        }
        return sum
    }

    /// Q8_0 x Q8_0 over `count` values, as ggml's `ggml_vec_dot_q8_0_q8_0`:
    /// integer sum per block, scaled by the product of the two fp16 scales.
    public static func dotQ8_0(_ q: UnsafeRawPointer, _ a: UnsafeRawPointer, count: Int) -> Float {
        precondition(count % valuesPerBlock == 0)
        var sum: Float = 0
        for b in 0 ..< count / valuesPerBlock {
            let wb = q + b * bytesPerBlock, ab = a + b * bytesPerBlock
            var sumi: Int32 = 0
            for j in 0 ..< 32 {
                sumi += Int32(wb.load(fromByteOffset: 2 + j, as: Int8.self)) * Int32(ab.load(fromByteOffset: 2 + j, as: Int8.self))
            }
            sum += Float(sumi) * (wb.blockF16(at: 0) * ab.blockF16(at: 0))
        }
        return sum
    }
}
