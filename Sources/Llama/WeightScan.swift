// NaN/Inf detection for stored weights, run once at load so a corrupt file fails with
// the tensor's name instead of producing NaN logits later. For block formats only the
// fp16 scales can be non-finite (the quants are small integers), so a scan reads
// 2-4 bytes per block: milliseconds even for SmolLM2's 100 MB.
import Quant

enum WeightScan {
    /// Index of the first non-finite element (f32/f16/bf16) or block (block types), or nil.
    static func firstNonFinite(_ bytes: UnsafeRawBufferPointer, type: GGMLType) -> Int? {
        let n = bytes.count
        switch type {
        case .f32:
            for i in 0 ..< n / 4 where !bytes.loadUnaligned(fromByteOffset: 4 * i, as: Float.self).isFinite { return i }
        case .f16:
            for i in 0 ..< n / 2 where bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self) & 0x7C00 == 0x7C00 { return i }
        case .bf16:
            for i in 0 ..< n / 2 where bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self) & 0x7F80 == 0x7F80 { return i }
        default:
            // Other types are rejected before a scan (LlamaModel.supportedTypes).
            let fields = type.halfFieldOffsets
            guard !fields.isEmpty else { break }
            let size = type.typeSize
            for b in 0 ..< n / size {
                for f in fields where bytes.loadUnaligned(fromByteOffset: b * size + f, as: UInt16.self) & 0x7C00 == 0x7C00 {
                    return b
                }
            }
        }
        return nil
    }
}
