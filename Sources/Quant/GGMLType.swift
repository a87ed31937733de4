// Tensor element types as ggml numbers them (ggml.h `enum ggml_type`), with the
// per-type traits every other module needs: elements per block and bytes per block.
// Block layouts (ggml-common.h), all little-endian, `d`/`m` are IEEE fp16:
//   Q4_0: { d: f16, qs: [16] u8 }          18 bytes / 32 values; x = (q - 8) * d,
//         low nibble of qs[j] is value j, high nibble is value j + 16.
//   Q4_1: { d: f16, m: f16, qs: [16] u8 }  20 bytes / 32 values; x = q * d + m, same nibble order.
//   Q8_0: { d: f16, qs: [32] i8 }          34 bytes / 32 values; x = q * d.
// NOTE: only the types HDRec reads and writes are listed; others are rejected by name.

/// A ggml tensor element type. Raw values are the on-disk GGUF type ids.
public enum GGMLType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2
    case q4_1 = 3
    case q8_0 = 8
    case bf16 = 30

    /// Values per block (1 for plain float types).
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: return 1
        case .q4_0, .q4_1, .q8_0: return 32
        }
    }

    /// Bytes per block.
    public var typeSize: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .q4_0: return 18
        case .q4_1: return 20
        case .q8_0: return 34
        }
    }

    public var isQuantized: Bool { blockSize > 1 }

    /// Bytes used by a row of `count` values, or nil when `count` is not a whole
    /// number of blocks (ggml requires rows of quantized types to be block-aligned).
    public func rowSize(_ count: Int) -> Int? {
        guard count >= 0, count % blockSize == 0 else { return nil }
        let (bytes, overflow) = (count / blockSize).multipliedReportingOverflow(by: typeSize)
        return overflow ? nil : bytes
    }

    /// The lower-case name ggml and llama.cpp print ("q4_1", "f32", ...).
    public var description: String {
        switch self {
        case .f32: return "f32"
        case .f16: return "f16"
        case .q4_0: return "q4_0"
        case .q4_1: return "q4_1"
        case .q8_0: return "q8_0"
        case .bf16: return "bf16"
        }
    }

    /// Parses a name as `description` prints it (case-insensitive).
    public init?(name: String) {
        guard let t = GGMLType.allCases.first(where: { $0.description == name.lowercased() }) else { return nil }
        self = t
    }
}
