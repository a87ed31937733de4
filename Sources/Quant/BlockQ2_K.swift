// Q2_K super-blocks (ggml-common.h `block_q2_K`): 256 values in 84 bytes,
//   [0..16) scales: per 16 values, low nibble = scale, high nibble = min,
//   [16..80) qs: 2-bit codes, [80..82) d: f16, [82..84) dmin: f16.
// Value v = 128h + 32s + l (h = 0, 1; s = 0..<4; l = 0..<32) is bits 2s..2s+1 of
// qs[32h + l]; x = (d * scale) * q - (dmin * min) with the nibbles of scales[v / 16].

public enum BlockQ2_K {
    public static let valuesPerBlock = 256
    public static let bytesPerBlock = 84

    /// Dequantizes `y.count` values (a multiple of 256) from the super-blocks at `q`.
    public static func dequantize(_ q: UnsafeRawPointer, into y: UnsafeMutableBufferPointer<Float>) {
        precondition(y.count % valuesPerBlock == 0)
        guard let dst = y.baseAddress else { return }
        for b in 0 ..< y.count / valuesPerBlock {
            let blk = q + b * bytesPerBlock
            let d = blk.blockF16(at: 80), dmin = blk.blockF16(at: 82)
            for v in 0 ..< 256 {
                let h = v / 128, s = (v % 128) / 32, l = v % 32
                let code = (blk.load(fromByteOffset: 16 + 32 * h + l, as: UInt8.self) >> UInt8(2 * s)) & 3
                let sm = blk.load(fromByteOffset: v / 16, as: UInt8.self)
                dst[b * 256 + v] = (d * Float(sm & 0x0f)) * Float(code) - dmin * Float(sm >> 4)
            }
        }
    }
}
