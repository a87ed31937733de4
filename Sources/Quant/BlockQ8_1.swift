// Q8_1 blocks (ggml-common.h `block_q8_1`): the activation format ggml pairs with
// Q4_1 weights. 32 values in 36 bytes:
//   [0..2) d: f16 scale, [2..4) s: f16 = d * sum(qs), [4..36) qs: 32 x int8.
// `s` lets a Q4_1 dot product add the weight block's offset `m` without a second
// pass: sum((q*d + m) * a) = d*da*sum(q*qa) + m*s. Quantized as
// `quantize_row_q8_1_ref`: like Q8_0, plus s = fp16(sum(qs) * d).

public enum BlockQ8_1 {
    public static let valuesPerBlock = 32
    public static let bytesPerBlock = 36

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
            var sum: Int32 = 0
            for j in 0 ..< 32 {
                let q = BlockRounding.roundInt8(v[j] * id)
                sum += q
                blk.storeBytes(of: Int8(truncatingIfNeeded: q), toByteOffset: 4 + j, as: Int8.self)
            }
            blk.storeBlockF16(d, at: 0)
            blk.storeBlockF16(Float(sum) * d, at: 2)
        }
    }

    /// Dequantizes `y.count` values (a multiple of 32) from the blocks at `q`.
    public static func dequantize(_ q: UnsafeRawPointer, into y: UnsafeMutableBufferPointer<Float>) {
        precondition(y.count % valuesPerBlock == 0)
        guard let dst = y.baseAddress else { return }
        for b in 0 ..< y.count / valuesPerBlock {
            let blk = q + b * bytesPerBlock
            let d = blk.blockF16(at: 0)
            for j in 0 ..< 32 { dst[b * 32 + j] = Float(blk.load(fromByteOffset: 4 + j, as: Int8.self)) * d }
        }
    }
}
