// Q4_1 blocks (ggml-common.h `block_q4_1`): 32 values in 20 bytes,
//   [0..2) d: f16 scale, [2..4) m: f16 minimum, [4..20) qs: 16 bytes of nibbles;
//   low nibble of qs[j] is value j, high nibble is value j + 16; x = q * d + m.
// Quantization follows `quantize_row_q4_1_ref`: d = (max - min) / 15, m = min,
// q = min(15, trunc((x - min)/d + 0.5)). ggml pairs Q4_1 weights with Q8_1
// activations (`ggml_vec_dot_q4_1_q8_1`); a Q8_0 variant is given too.

public enum BlockQ4_1 {
    public static let valuesPerBlock = 32
    public static let bytesPerBlock = 20

    /// Quantizes `x` (count a multiple of 32) into `x.count / 32` blocks at `out`.
    public static func quantize(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableRawPointer) {
        precondition(x.count % valuesPerBlock == 0)
        guard let src = x.baseAddress else { return }
        for b in 0 ..< x.count / valuesPerBlock {
            let v = src + b * valuesPerBlock
            let blk = out + b * bytesPerBlock
            var minv = Float.greatestFiniteMagnitude, maxv = -Float.greatestFiniteMagnitude
            for j in 0 ..< 32 {
                if v[j] < minv { minv = v[j] }
                if v[j] > maxv { maxv = v[j] }
            }
            let d = (maxv - minv) / 15
            let id: Float = d != 0 ? 1 / d : 0
            blk.storeBlockF16(d, at: 0)
            blk.storeBlockF16(minv, at: 2)
            for j in 0 ..< 16 {
                let lo = UInt8(truncatingIfNeeded: min(15, BlockRounding.truncInt8((v[j] - minv) * id + 0.5)))
                let hi = UInt8(truncatingIfNeeded: min(15, BlockRounding.truncInt8((v[j + 16] - minv) * id + 0.5)))
                blk.storeBytes(of: lo | (hi << 4), toByteOffset: 4 + j, as: UInt8.self)
            }
        }
    }

    /// Dequantizes `y.count` values (a multiple of 32) from the blocks at `q`.
    public static func dequantize(_ q: UnsafeRawPointer, into y: UnsafeMutableBufferPointer<Float>) {
        precondition(y.count % valuesPerBlock == 0)
        guard let dst = y.baseAddress else { return }
        for b in 0 ..< y.count / valuesPerBlock {
            let blk = q + b * bytesPerBlock
            let d = blk.blockF16(at: 0), m = blk.blockF16(at: 2)
            for j in 0 ..< 16 {
                let byte = blk.load(fromByteOffset: 4 + j, as: UInt8.self)
                dst[b * 32 + j] = Float(byte & 0x0f) * d + m
                dst[b * 32 + j + 16] = Float(byte >> 4) * d + m
            }
        }
    }

    /// Reference dot product of a Q4_1 row with an f32 vector (`x.count` values).
    public static func dot(_ q: UnsafeRawPointer, _ x: UnsafeBufferPointer<Float>) -> Float {
        precondition(x.count % valuesPerBlock == 0)
        guard let v = x.baseAddress else { return 0 }
        var sum: Float = 0
        for b in 0 ..< x.count / valuesPerBlock {
            let blk = q + b * bytesPerBlock
            var sq: Float = 0, sx: Float = 0
            for j in 0 ..< 16 {
                let byte = blk.load(fromByteOffset: 4 + j, as: UInt8.self)
                let x0 = v[b * 32 + j], x1 = v[b * 32 + j + 16]
                sq += Float(byte & 0x0f) * x0 + Float(byte >> 4) * x1
                sx += x0 + x1
            }
            sum += sq * blk.blockF16(at: 0) + sx * blk.blockF16(at: 2)
        }
        return sum
    }

    /// Q4_1 x Q8_1 over `count` values, as `ggml_vec_dot_q4_1_q8_1`:
    /// sum_i d*da*sumi + m*s.
    public static func dotQ8_1(_ q: UnsafeRawPointer, _ a: UnsafeRawPointer, count: Int) -> Float {
        precondition(count % valuesPerBlock == 0)
        var sum: Float = 0
        for b in 0 ..< count / valuesPerBlock {
            let wb = q + b * bytesPerBlock, ab = a + b * BlockQ8_1.bytesPerBlock
            var sumi: Int32 = 0
            for j in 0 ..< 16 {
                let byte = wb.load(fromByteOffset: 4 + j, as: UInt8.self)
                sumi += Int32(byte & 0x0f) * Int32(ab.load(fromByteOffset: 4 + j, as: Int8.self))
                sumi += Int32(byte >> 4) * Int32(ab.load(fromByteOffset: 4 + j + 16, as: Int8.self))
            }
            sum += (wb.blockF16(at: 0) * ab.blockF16(at: 0)) * Float(sumi) + wb.blockF16(at: 2) * ab.blockF16(at: 2)
        }
        return sum
    }

    /// Q4_1 x Q8_0 over `count` values: like `dotQ8_1`, with the activation block
    /// sum computed here (d*da*sum(q*qa) + m*da*sum(qa)).
    public static func dotQ8_0(_ q: UnsafeRawPointer, _ a: UnsafeRawPointer, count: Int) -> Float {
        precondition(count % valuesPerBlock == 0)
        var sum: Float = 0
        for b in 0 ..< count / valuesPerBlock {
            let wb = q + b * bytesPerBlock, ab = a + b * BlockQ8_0.bytesPerBlock
            var sumi: Int32 = 0, suma: Int32 = 0
            for j in 0 ..< 16 {
                let byte = wb.load(fromByteOffset: 4 + j, as: UInt8.self)
                let a0 = Int32(ab.load(fromByteOffset: 2 + j, as: Int8.self))
                let a1 = Int32(ab.load(fromByteOffset: 2 + j + 16, as: Int8.self))
                sumi += Int32(byte & 0x0f) * a0 + Int32(byte >> 4) * a1
                suma += a0 + a1
            }
            let da = ab.blockF16(at: 0)
            sum += wb.blockF16(at: 0) * da * Float(sumi) + wb.blockF16(at: 2) * da * Float(suma)
        }
        return sum
    }
}
