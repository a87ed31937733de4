// Q6_K super-blocks (ggml-common.h `block_q6_K`): 256 values in 210 bytes,
//   [0..128) ql: low 4 bits, [128..192) qh: high 2 bits, [192..208) scales: 16 x i8,
//   [208..210) d: f16.
// Two halves of 128 values (h = 0, 1); in half h, sub-block t (0..<4) lane l (0..<32) is
//   low  = ql[64h + 32(t % 2) + l], low nibble for t < 2, high nibble for t >= 2,
//   high = (qh[32h + l] >> 2t) & 3,
//   x = (d * scales[v / 16]) * (low | high << 4 - 32), v = 128h + 32t + l the value index.

public enum BlockQ6_K {
    public static let valuesPerBlock = 256
    public static let bytesPerBlock = 210

    /// Dequantizes `y.count` values (a multiple of 256) from the super-blocks at `q`.
    public static func dequantize(_ q: UnsafeRawPointer, into y: UnsafeMutableBufferPointer<Float>) {
        precondition(y.count % valuesPerBlock == 0)
        guard let dst = y.baseAddress else { return }
        for b in 0 ..< y.count / valuesPerBlock {
            let blk = q + b * bytesPerBlock
            let d = blk.blockF16(at: 208)
            for v in 0 ..< 256 {
                let h = v / 128, t = (v % 128) / 32, l = v % 32
                let lowByte = blk.load(fromByteOffset: 64 * h + 32 * (t % 2) + l, as: UInt8.self)
                let low = t < 2 ? lowByte & 0x0f : lowByte >> 4
                let high = (blk.load(fromByteOffset: 128 + 32 * h + l, as: UInt8.self) >> UInt8(2 * t)) & 3
                let scale = Float(blk.load(fromByteOffset: 192 + v / 16, as: Int8.self))
                dst[b * 256 + v] = (d * scale) * Float(Int32(low | high << 4) - 32)
            }
        }
    }
}
