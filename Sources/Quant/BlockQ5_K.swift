// Q5_K super-blocks (ggml-common.h `block_q5_K`): 256 values in 176 bytes,
//   [0..2) d: f16, [2..4) dmin: f16, [4..16) scales (as Q4_K, KQuantScales),
//   [16..48) qh: 32 bytes of fifth bits, [48..176) qs: 128 bytes of nibbles.
// Sub-block j, lane l: the Q4_K nibble of qs[32(j / 2) + l] plus bit j of qh[l] as bit 4;
// x = (d * scale_j) * q - (dmin * min_j).

public enum BlockQ5_K {
    public static let valuesPerBlock = 256
    public static let bytesPerBlock = 176

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
                    let byte = blk.load(fromByteOffset: 48 + 32 * (j / 2) + l, as: UInt8.self)
                    let high = (blk.load(fromByteOffset: 16 + l, as: UInt8.self) >> UInt8(j)) & 1
                    let code = (j % 2 == 0 ? byte & 0x0f : byte >> 4) | high << 4
                    dst[b * 256 + 32 * j + l] = d1 * Float(code) - m1
                }
            }
        }
    }
}
