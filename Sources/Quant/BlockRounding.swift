// The two float->int conversions ggml's reference quantizers use, made total:
// C's `(int8_t)f` (truncation toward zero) and `roundf` (half away from zero).
// In C both are undefined for NaN or out-of-range values; here NaN gives 0 and
// large values clamp to the int8 range, so hostile weights can never trap.

@usableFromInline
enum BlockRounding {
    /// `(int8_t)value` for in-range values: truncation toward zero, clamped, NaN -> 0.
    @inlinable
    static func truncInt8(_ value: Float) -> Int32 {
        guard value == value else { return 0 }
        return Int32(max(-128, min(127, value)))
    }

    /// `(int8_t)roundf(value)`: round half away from zero, clamped, NaN -> 0.
    @inlinable
    static func roundInt8(_ value: Float) -> Int32 {
        guard value == value else { return 0 }
        return Int32(max(-128, min(127, value.rounded(.toNearestOrAwayFromZero))))
    }
}

// Blocks sit at arbitrary byte offsets inside mapped files, so every scalar is read
// and written unaligned. All formats are little-endian, as is every supported host.
extension UnsafeRawPointer {
    @inlinable
    func blockF16(at offset: Int) -> Float {
        HalfPrecision.f16ToF32(loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
}

extension UnsafeMutableRawPointer {
    @inlinable
    func storeBlockF16(_ value: Float, at offset: Int) {
        storeBytes(of: HalfPrecision.f32ToF16(value), toByteOffset: offset, as: UInt16.self)
    }
}
