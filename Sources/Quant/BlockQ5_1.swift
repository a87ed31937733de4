// Q5_1 blocks (ggml-common.h `block_q5_1`): 32 values in 24 bytes,
//   [0..2) d: f16 scale, [2..4) m: f16 minimum, [4..8) qh: u32 fifth bits, [8..24) qs: nibbles;
//   codes as Q5_0 (BlockQ5_0.swift); x = q * d + m.
// llama.cpp's Q5_K_M uses it for SmolLM2's rows that are not whole super-blocks.

public enum BlockQ5_1 {
    public static let valuesPerBlock = 32
    public static let bytesPerBlock = 24

    /// Dequantizes `y.count` values (a multiple of 32) from the blocks at `q`.
    public static func dequantize(_ q: UnsafeRawPointer, into y: UnsafeMutableBufferPointer<Float>) {
        precondition(y.count % valuesPerBlock == 0)
        guard let dst = y.baseAddress else { return }
        for b in 0 ..< y.count / valuesPerBlock {
            let blk = q + b * bytesPerBlock
            let d = blk.blockF16(at: 0), m = blk.blockF16(at: 2)
            for j in 0 ..< 32 { dst[b * 32 + j] = d * Float(BlockQ5_0.code(blk, j, qsAt: 8, qhAt: 4)) + m }
        }
    }
}
