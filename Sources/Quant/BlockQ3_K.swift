// Q3_K super-blocks (ggml-common.h `block_q3_K`): 256 values in 110 bytes,
//   [0..32) hmask: third bits, [32..96) qs: 2-bit codes, [96..108) scales: sixteen
//   6-bit signed scales (KQuantScales.q3Scale), [108..110) d: f16.
// Value v = 128h + 32s + l: low = bits 2s..2s+1 of qs[32h + l], as Q2_K; its hmask bit
// is bit v / 32 of hmask[l]; q = low - 4 where that bit is 0, low where it is 1;
// x = (d * scale[v / 16]) * q.

public enum BlockQ3_K {
    public static let valuesPerBlock = 256
    public static let bytesPerBlock = 110

    /// Dequantizes `y.count` values (a multiple of 256) from the super-blocks at `q`.
    public static func dequantize(_ q: UnsafeRawPointer, into y: UnsafeMutableBufferPointer<Float>) {
        precondition(y.count % valuesPerBlock == 0)
        guard let dst = y.baseAddress else { return }
        for b in 0 ..< y.count / valuesPerBlock {
            let blk = q + b * bytesPerBlock
            let d = blk.blockF16(at: 108)
            for v in 0 ..< 256 {
                let h = v / 128, s = (v % 128) / 32, l = v % 32
                let low = Int32((blk.load(fromByteOffset: 32 + 32 * h + l, as: UInt8.self) >> UInt8(2 * s)) & 3)
                let bit = Int32((blk.load(fromByteOffset: l, as: UInt8.self) >> UInt8(v / 32)) & 1)
                let scale = Float(KQuantScales.q3Scale(blk + 96, v / 16))
                dst[b * 256 + v] = (d * scale) * Float(low - 4 * (1 - bit))
            }
        }
    }
}
