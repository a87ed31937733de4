// Q4_K super-blocks (ggml-common.h `block_q4_K`): 256 values in 144 bytes,
//   [0..2) d: f16, [2..4) dmin: f16, [4..16) scales: eight 6-bit (scale, min) pairs
//   (KQuantScales), [16..144) qs: 128 bytes of nibbles.
// Sub-block j (values 32j ..< 32j + 32) reads the 32 bytes qs[32(j / 2) ..< 32(j / 2) + 32],
// low nibbles for even j, high nibbles for odd j; x = (d * scale_j) * q - (dmin * min_j),
// each product rounded to f32 first, as gguf.quants and ggml compute it.

public enum BlockQ4_K {
    public static let valuesPerBlock = 256
    public static let bytesPerBlock = 144

    /// Dequantizes `y.count` values (a multiple of 256) from the super-blocks at `q`.
    public static func dequantize(_ q: UnsafeRawPointer, into y: UnsafeMutableBufferPointer<Float>) {
        precondition(y.count % valuesPerBlock == 0)
        guard let dst = y.baseAddress else { return }
        for b in 0 ..< y.count / valuesPerBlock {
            let blk = q + b * bytesPerBlock
            let d = blk.blockF16(at: 0), dmin = blk.blockF16(at: 2)
            for j in 0 ..< 8 {
                let (sc, m) = KQuantScales.scaleMin(blk + 4, j)
                let d1 = d * Float(sc), m1 = dmin * Float(m)
                for l in 0 ..< 32 {
                    let byte = blk.load(fromByteOffset: 16 + 32 * (j / 2) + l, as: UInt8.self)
                    let code = j % 2 == 0 ? byte & 0x0f : byte >> 4
                    dst[b * 256 + 32 * j + l] = d1 * Float(code) - m1
                }
            }
        }
    }
}
