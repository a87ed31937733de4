// IEEE binary16 (F16) and bfloat16 (BF16) <-> f32 conversions, bit-exact with ggml
// (ggml-impl.h `ggml_compute_fp32_to_bf16` / `GGML_FP32_TO_FP16`):
//   - f32 -> f16 rounds to nearest even (what F16C's `vcvtps2ph` with mode 0 does);
//   - f32 -> bf16 rounds to nearest even on the upper 16 bits, and turns a NaN into a
//     quiet NaN (sets bit 6 of the result) so truncation can never make it infinite;
//   - bf16 -> f32 is exact (the 16 bits become the high half of the f32).
// Values are handled as raw `UInt16` bit patterns because that is how they sit in
// files and blocks (little-endian, possibly unaligned).

public enum HalfPrecision {
    /// f16 bits -> f32 (exact).
    @inlinable
    public static func f16ToF32(_ bits: UInt16) -> Float {
        Float(Float16(bitPattern: bits))
    }

    /// f32 -> f16 bits, round to nearest even; overflow gives +-inf, NaN stays NaN.
    @inlinable
    public static func f32ToF16(_ value: Float) -> UInt16 {
        Float16(value).bitPattern
    }

    /// bf16 bits -> f32 (exact).
    @inlinable
    public static func bf16ToF32(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// f32 -> bf16 bits, round to nearest even, NaN forced quiet (ggml's rule).
    @inlinable
    public static func f32ToBF16(_ value: Float) -> UInt16 {
        let u = value.bitPattern
        if (u & 0x7fff_ffff) > 0x7f80_0000 {  // NaN
            return UInt16(truncatingIfNeeded: (u >> 16) | 64)
        }
        let rounded = u &+ (0x7fff &+ ((u >> 16) & 1))
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }
}
