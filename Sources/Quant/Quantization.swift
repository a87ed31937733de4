// Type-dispatched, size-checked entry points over the block formats: quantize a
// float row into any GGMLType, dequantize any GGMLType back to f32, and the scalar
// reference dot product of a stored row with an f32 vector. Everything that takes
// input-derived sizes goes through here, so a bad length is a `QuantError`, never a trap;
// so is a type that parses but has no decoder (`isDecodable`) or encoder (`isQuantizable`).

public enum Quantization {
    /// Bytes needed for `count` values of `type`, or a `QuantError`.
    public static func byteCount(of type: GGMLType, count: Int) throws -> Int {
        guard let n = type.rowSize(count) else { throw QuantError.countNotBlockMultiple(type: type, count: count) }
        return n
    }

    /// Encodes `values` as `type` (ggml reference rounding). `values.count` must be a
    /// whole number of blocks.
    public static func quantize(_ values: [Float], as type: GGMLType) throws -> [UInt8] {
        try requireEncoder(type)
        let n = try byteCount(of: type, count: values.count)
        var out = [UInt8](repeating: 0, count: n)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBytes { dst in
                quantizeUnchecked(src, as: type, into: dst)
            }
        }
        return out
    }

    /// Encodes `src` as `type` into `dst`, which must hold exactly the row size.
    public static func quantize(_ src: UnsafeBufferPointer<Float>, as type: GGMLType,
                                into dst: UnsafeMutableRawBufferPointer) throws {
        try requireEncoder(type)
        let n = try byteCount(of: type, count: src.count)
        guard dst.count == n else {
            throw QuantError.byteCountMismatch(type: type, count: src.count, needed: n, available: dst.count)
        }
        quantizeUnchecked(src, as: type, into: dst)
    }

    /// Decodes `count` values of `type` from `bytes` (exactly the row size).
    public static func dequantize(_ bytes: UnsafeRawBufferPointer, as type: GGMLType, count: Int) throws -> [Float] {
        try requireDecoder(type)
        let n = try byteCount(of: type, count: count)
        guard bytes.count == n else {
            throw QuantError.byteCountMismatch(type: type, count: count, needed: n, available: bytes.count)
        }
        var out = [Float](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { dst in dequantizeUnchecked(bytes, as: type, into: dst) }
        return out
    }

    /// Decodes `dst.count` values of `type` from `bytes` into `dst`.
    public static func dequantize(_ bytes: UnsafeRawBufferPointer, as type: GGMLType,
                                  into dst: UnsafeMutableBufferPointer<Float>) throws {
        try requireDecoder(type)
        let n = try byteCount(of: type, count: dst.count)
        guard bytes.count >= n else {
            throw QuantError.byteCountMismatch(type: type, count: dst.count, needed: n, available: bytes.count)
        }
        dequantizeUnchecked(bytes, as: type, into: dst)
    }

    /// Scalar reference dot product of a stored row of `type` with `x` (same length).
    public static func dot(_ row: UnsafeRawBufferPointer, as type: GGMLType, _ x: UnsafeBufferPointer<Float>) throws -> Float {
        try requireDecoder(type)
        let n = try byteCount(of: type, count: x.count)
        guard row.count >= n else {
            throw QuantError.byteCountMismatch(type: type, count: x.count, needed: n, available: row.count)
        }
        guard let base = row.baseAddress, let v = x.baseAddress else { return 0 }
        switch type {
        case .f32:
            var s: Float = 0
            for i in 0 ..< x.count { s += base.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) * v[i] }
            return s
        case .f16:
            var s: Float = 0
            for i in 0 ..< x.count { s += base.blockF16(at: 2 * i) * v[i] }
            return s
        case .bf16:
            var s: Float = 0
            for i in 0 ..< x.count {
                s += HalfPrecision.bf16ToF32(base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) * v[i]
            }
            return s
        case .q8_0: return BlockQ8_0.dot(base, x)
        case .q4_0: return BlockQ4_0.dot(base, x)
        case .q4_1: return BlockQ4_1.dot(base, x)
        default:
            // Q5 and K-quants: block by block through the reference dequantizer.
            return blockwiseDot(base, as: type, v, count: x.count)
        }
    }

    static func requireDecoder(_ type: GGMLType) throws {
        guard type.isDecodable else { throw QuantError.unsupportedType(type: type, operation: "decode") }
    }

    static func requireEncoder(_ type: GGMLType) throws {
        guard type.isQuantizable else { throw QuantError.unsupportedType(type: type, operation: "encode as") }
    }

    /// Σ dequantize(row)[i]·x[i], one block at a time (no row-sized buffer).
    static func blockwiseDot(_ row: UnsafeRawPointer, as type: GGMLType, _ x: UnsafePointer<Float>, count: Int) -> Float {
        let bs = type.blockSize
        var block = [Float](repeating: 0, count: bs)
        var sum: Float = 0
        block.withUnsafeMutableBufferPointer { buf in
            for b in 0 ..< count / bs {
                dequantizeUnchecked(UnsafeRawBufferPointer(start: row + b * type.typeSize, count: type.typeSize), as: type, into: buf)
                for i in 0 ..< bs { sum += buf[i] * x[b * bs + i] }
            }
        }
        return sum
    }

    // MARK: - Unchecked cores (sizes already validated)

    static func quantizeUnchecked(_ src: UnsafeBufferPointer<Float>, as type: GGMLType,
                                  into dst: UnsafeMutableRawBufferPointer) {
        guard let out = dst.baseAddress else { return }
        switch type {
        case .f32:
            for (i, v) in src.enumerated() { out.storeBytes(of: v, toByteOffset: 4 * i, as: Float.self) }
        case .f16:
            for (i, v) in src.enumerated() { out.storeBlockF16(v, at: 2 * i) }
        case .bf16:
            for (i, v) in src.enumerated() {
                out.storeBytes(of: HalfPrecision.f32ToBF16(v), toByteOffset: 2 * i, as: UInt16.self)
            }
        case .q8_0: BlockQ8_0.quantize(src, into: out)
        case .q4_0: BlockQ4_0.quantize(src, into: out)
        case .q4_1: BlockQ4_1.quantize(src, into: out)
        default: preconditionFailure("no encoder for \(type)")  // callers check isQuantizable
        }
    }

    static func dequantizeUnchecked(_ bytes: UnsafeRawBufferPointer, as type: GGMLType,
                                    into dst: UnsafeMutableBufferPointer<Float>) {
        guard let base = bytes.baseAddress, let y = dst.baseAddress else { return }
        switch type {
        case .f32:
            UnsafeMutableRawPointer(y).copyMemory(from: base, byteCount: 4 * dst.count)
        case .f16:
            for i in 0 ..< dst.count { y[i] = base.blockF16(at: 2 * i) }
        case .bf16:
            for i in 0 ..< dst.count {
                y[i] = HalfPrecision.bf16ToF32(base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            }
        case .q8_0: BlockQ8_0.dequantize(base, into: dst)
        case .q4_0: BlockQ4_0.dequantize(base, into: dst)
        case .q4_1: BlockQ4_1.dequantize(base, into: dst)
        case .q5_0: BlockQ5_0.dequantize(base, into: dst)
        case .q5_1: BlockQ5_1.dequantize(base, into: dst)
        case .q2_K: BlockQ2_K.dequantize(base, into: dst)
        case .q3_K: BlockQ3_K.dequantize(base, into: dst)
        case .q4_K: BlockQ4_K.dequantize(base, into: dst)
        case .q5_K: BlockQ5_K.dequantize(base, into: dst)
        case .q6_K: BlockQ6_K.dequantize(base, into: dst)
        default: preconditionFailure("no decoder for \(type)")  // callers check isDecodable
        }
    }
}
