// The 6-bit scale and min codes of Q4_K and Q5_K super-blocks: eight (scale, min) pairs,
// one per 32-value sub-block, packed into 12 bytes s[0..12) (ggml `get_scale_min_k4`):
//   sub-block j < 4:  scale = s[j] & 63,                        min = s[j + 4] & 63
//   sub-block j >= 4: scale = s[j + 4] & 15 | (s[j - 4] >> 6) << 4,
//                     min   = s[j + 4] >> 4 | (s[j] >> 6) << 4
// i.e. the top two bits of bytes 0..7 extend the nibbles of bytes 8..11.

enum KQuantScales {
    /// (scale, min) codes of sub-block `j` (0..<8) from the 12 bytes at `s`.
    @inline(__always)
    static func scaleMin(_ s: UnsafeRawPointer, _ j: Int) -> (scale: UInt8, min: UInt8) {
        @inline(__always) func byte(_ i: Int) -> UInt8 { s.load(fromByteOffset: i, as: UInt8.self) }
        if j < 4 { return (byte(j) & 63, byte(j + 4) & 63) }
        return ((byte(j + 4) & 15) | (byte(j - 4) >> 6) << 4, (byte(j + 4) >> 4) | (byte(j) >> 6) << 4)
    }

    /// The sixteen signed 6-bit scales of a Q3_K super-block from its 12 bytes at `s`:
    /// low nibbles from bytes 0..7 (scale i < 8: low nibble of s[i], else high nibble of
    /// s[i - 8]), high two bits from bytes 8..11 (bits 2(i / 4) of s[8 + i % 4]), minus 32.
    @inline(__always)
    static func q3Scale(_ s: UnsafeRawPointer, _ i: Int) -> Int32 {
        @inline(__always) func byte(_ i: Int) -> UInt8 { s.load(fromByteOffset: i, as: UInt8.self) }
        let low = i < 8 ? byte(i) & 15 : byte(i - 8) >> 4
        let high = (byte(8 + i % 4) >> UInt8(2 * (i / 4))) & 3
        return Int32(low | high << 4) - 32
    }
}
