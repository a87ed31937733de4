// Q5_0 blocks (ggml-common.h `block_q5_0`): 32 values in 22 bytes,
//   [0..2) d: f16 scale, [2..6) qh: u32 (little-endian) fifth bits, [6..22) qs: 16 bytes of nibbles;
//   value j (j < 16) = low nibble of qs[j] | bit j of qh << 4,
//   value j + 16     = high nibble of qs[j] | bit j + 16 of qh << 4;  x = (q - 16) * d.
// llama.cpp's Q4_K_M puts Q5_0 where rows are not whole 256-value super-blocks
// (SmolLM2's 576-wide rows). HDRec decodes it; it does not encode it.

public enum BlockQ5_0 {
    public static let valuesPerBlock = 32
    public static let bytesPerBlock = 22

    /// The 5-bit code of value j (0..<32) of the block at `blk`.
    @inline(__always)
    static func code(_ blk: UnsafeRawPointer, _ j: Int, qsAt: Int, qhAt: Int) -> Int32 {
        let qh = blk.loadUnaligned(fromByteOffset: qhAt, as: UInt32.self)
        let byte = blk.load(fromByteOffset: qsAt + j % 16, as: UInt8.self)
        let low = j < 16 ? byte & 0x0f : byte >> 4
        return Int32(low) | Int32((qh >> UInt32(j)) & 1) << 4
    }

    /// Dequantizes `y.count` values (a multiple of 32) from the blocks at `q`.
    public static func dequantize(_ q: UnsafeRawPointer, into y: UnsafeMutableBufferPointer<Float>) {
        precondition(y.count % valuesPerBlock == 0)
        guard let dst = y.baseAddress else { return }
        for b in 0 ..< y.count / valuesPerBlock {
            let blk = q + b * bytesPerBlock
            let d = blk.blockF16(at: 0)
            for j in 0 ..< 32 { dst[b * 32 + j] = d * Float(code(blk, j, qsAt: 6, qhAt: 2) - 16) }
        }
    }
}
