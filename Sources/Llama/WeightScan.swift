// NaN/Inf detection for stored weights, run once at load so a corrupt file fails with
// the tensor's name instead of producing NaN logits later. For block formats only the
// fp16 scales can be non-finite (the quants are small integers), so a scan reads
// 2-4 bytes per 32 values: milliseconds even for SmolLM2's 100 MB.
import Quant

enum WeightScan {
    /// Index of the first non-finite element (f32/f16/bf16) or block (q4_0/q4_1/q8_0), or nil.
    static func firstNonFinite(_ bytes: UnsafeRawBufferPointer, type: GGMLType) -> Int? {
        let n = bytes.count
        switch type {
        case .f32:
            for i in 0 ..< n / 4 where !bytes.loadUnaligned(fromByteOffset: 4 * i, as: Float.self).isFinite { return i }
        case .f16:
            for i in 0 ..< n / 2 where bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self) & 0x7C00 == 0x7C00 { return i }
        case .bf16:
            for i in 0 ..< n / 2 where bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self) & 0x7F80 == 0x7F80 { return i }
        case .q4_0, .q8_0:
            let size = type.typeSize
            for b in 0 ..< n / size where bytes.loadUnaligned(fromByteOffset: b * size, as: UInt16.self) & 0x7C00 == 0x7C00 { return b }
        case .q4_1:
            let size = type.typeSize
            for b in 0 ..< n / size {
                let d = bytes.loadUnaligned(fromByteOffset: b * size, as: UInt16.self)
                let m = bytes.loadUnaligned(fromByteOffset: b * size + 2, as: UInt16.self)
                if d & 0x7C00 == 0x7C00 || m & 0x7C00 == 0x7C00 { return b }
            }
        default:
            break // other types are rejected before a scan (LlamaModel.supportedTypes)
        }
        return nil
    }
}
