// Q4_0 blocks (ggml-common.h `block_q4_0`): 32 values in 18 bytes,
//   [0..2) d: f16 scale, [2..18) qs: 16 bytes of nibbles;
//   low nibble of qs[j] is value j, high nibble is value j + 16; x = (q - 8) * d.
// Quantization follows `quantize_row_q4_0_ref`: the value with the largest magnitude
// (sign kept) maps to -8, d = max / -8, q = min(15, trunc(x/d + 8.5)).
// ggml pairs Q4_0 weights with Q8_0 activations (`ggml_vec_dot_q4_0_q8_0`).

public enum BlockQ4_0 {
    public static let valuesPerBlock = 32
    public static let bytesPerBlock = 18

    /// Quantizes `x` (count a multiple of 32) into `x.count / 32` blocks at `out`.
    public static func quantize(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableRawPointer) {
        precondition(x.count % valuesPerBlock == 0)
        guard let src = x.baseAddress else { return }
        for b in 0 ..< x.count / valuesPerBlock {
            let v = src + b * valuesPerBlock
            let blk = out + b * bytesPerBlock
            var amax: Float = 0, maxv: Float = 0
            for j in 0 ..< 32 where amax < abs(v[j]) {
                amax = abs(v[j])
                maxv = v[j]
            }
            let d = maxv / -8
            let id: Float = d != 0 ? 1 / d : 0
            blk.storeBlockF16(d, at: 0)
            for j in 0 ..< 16 {
                let lo = UInt8(truncatingIfNeeded: min(15, BlockRounding.truncInt8(v[j] * id + 8.5)))
                let hi = UInt8(truncatingIfNeeded: min(15, BlockRounding.truncInt8(v[j + 16] * id + 8.5)))
                blk.storeBytes(of: lo | (hi << 4), toByteOffset: 2 + j, as: UInt8.self)
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
            for j in 0 ..< 16 {
                let byte = blk.load(fromByteOffset: 2 + j, as: UInt8.self)
                dst[b * 32 + j] = Float(Int32(byte & 0x0f) - 8) * d
                dst[b * 32 + j + 16] = Float(Int32(byte >> 4) - 8) * d
            }
        }
    }

    /// Reference dot product of a Q4_0 row with an f32 vector (`x.count` values).
    public static func dot(_ q: UnsafeRawPointer, _ x: UnsafeBufferPointer<Float>) -> Float {
        precondition(x.count % valuesPerBlock == 0)
        guard let v = x.baseAddress else { return 0 }
        var sum: Float = 0
        for b in 0 ..< x.count / valuesPerBlock {
            let blk = q + b * bytesPerBlock
            var s: Float = 0
            for j in 0 ..< 16 {
                let byte = blk.load(fromByteOffset: 2 + j, as: UInt8.self)
                s += Float(Int32(byte & 0x0f) - 8) * v[b * 32 + j]
                s += Float(Int32(byte >> 4) - 8) * v[b * 32 + j + 16]
            }
            sum += s * blk.blockF16(at: 0)
        }
        return sum
    }

    /// Q4_0 x Q8_0 over `count` values, as `ggml_vec_dot_q4_0_q8_0`.
    public static func dotQ8_0(_ q: UnsafeRawPointer, _ a: UnsafeRawPointer, count: Int) -> Float {
        precondition(count % valuesPerBlock == 0)
        var sum: Float = 0
        for b in 0 ..< count / valuesPerBlock {
            let wb = q + b * bytesPerBlock, ab = a + b * BlockQ8_0.bytesPerBlock
            var sumi: Int32 = 0
            for j in 0 ..< 16 {
                let byte = wb.load(fromByteOffset: 2 + j, as: UInt8.self)
                sumi += (Int32(byte & 0x0f) - 8) * Int32(ab.load(fromByteOffset: 2 + j, as: Int8.self))
                sumi += (Int32(byte >> 4) - 8) * Int32(ab.load(fromByteOffset: 2 + j + 16, as: Int8.self))
            }
            sum += Float(sumi) * wb.blockF16(at: 0) * ab.blockF16(at: 0)
        }
        return sum
    }
}
