// Tensor element types as ggml numbers them (ggml.h `enum ggml_type`), with the
// per-type traits every other module needs: elements per block and bytes per block.
// Every type ggml defines is listed (ggml 0.25.3, as vendored by llama-cpp-python 0.3.36;
// block and byte sizes as its ggml_blck_size / ggml_type_size report them), so a GGUF file holding any of them parses and
// `hdrec inspect` names it; which of them HDRec can compute with is `isDecodable`
// (dequantize and matrix products) and `isQuantizable` (encode from f32).
// Block layouts (ggml-common.h), all little-endian, `d`/`m`/`dmin` are IEEE fp16:
//   Q4_0: { d, qs: [16] u8 }                 18 bytes / 32 values; x = (q - 8) * d,
//         low nibble of qs[j] is value j, high nibble is value j + 16.
//   Q4_1: { d, m, qs: [16] u8 }              20 bytes / 32 values; x = q * d + m, same nibble order.
//   Q5_0: { d, qh: u32, qs: [16] u8 }         22 bytes / 32 values; Q4_0's nibbles plus bit j of qh
//         as bit 4 of value j; x = (q - 16) * d.
//   Q5_1: { d, m, qh: u32, qs: [16] u8 }      24 bytes / 32 values; x = q * d + m.
//   Q8_0: { d, qs: [32] i8 }                 34 bytes / 32 values; x = q * d.
//   K-quants (256-value super-blocks): layouts in BlockQ2_K ... BlockQ6_K.swift.

/// A ggml tensor element type. Raw values are the on-disk GGUF type ids.
public enum GGMLType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2
    case q4_1 = 3
    case q5_0 = 6
    case q5_1 = 7
    case q8_0 = 8
    case q8_1 = 9
    case q2_K = 10
    case q3_K = 11
    case q4_K = 12
    case q5_K = 13
    case q6_K = 14
    case q8_K = 15
    case iq2_xxs = 16
    case iq2_xs = 17
    case iq3_xxs = 18
    case iq1_s = 19
    case iq4_nl = 20
    case iq3_s = 21
    case iq2_s = 22
    case iq4_xs = 23
    case i8 = 24
    case i16 = 25
    case i32 = 26
    case i64 = 27
    case f64 = 28
    case iq1_m = 29
    case bf16 = 30
    case tq1_0 = 34
    case tq2_0 = 35
    case mxfp4 = 39
    case nvfp4 = 40
    case q1_0 = 41
    case q2_0 = 42

    /// Values per block (1 for plain scalar types).
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16, .f64, .i8, .i16, .i32, .i64: return 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1, .iq4_nl, .mxfp4: return 32
        case .nvfp4, .q2_0: return 64
        case .q1_0: return 128
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K, .iq2_xxs, .iq2_xs, .iq3_xxs, .iq1_s,
             .iq3_s, .iq2_s, .iq4_xs, .iq1_m, .tq1_0, .tq2_0: return 256
        }
    }

    /// Bytes per block (ggml's `type_size`).
    public var typeSize: Int {
        switch self {
        case .i8: return 1
        case .f16, .bf16, .i16: return 2
        case .f32, .i32: return 4
        case .f64, .i64: return 8
        case .q4_0: return 18
        case .q4_1: return 20
        case .q5_0: return 22
        case .q5_1: return 24
        case .q8_0: return 34
        case .q8_1: return 36
        case .iq4_nl: return 18
        case .mxfp4: return 17
        case .nvfp4: return 36
        case .q1_0, .q2_0: return 18
        case .q2_K: return 84          // scales[16], qs[64], d, dmin
        case .q3_K: return 110         // hmask[32], qs[64], scales[12], d
        case .q4_K: return 144         // d, dmin, scales[12], qs[128]
        case .q5_K: return 176         // d, dmin, scales[12], qh[32], qs[128]
        case .q6_K: return 210         // ql[128], qh[64], scales[16] i8, d
        case .q8_K: return 292         // d: f32, qs[256] i8, bsums[16] i16
        case .iq2_xxs: return 66
        case .iq2_xs: return 74
        case .iq3_xxs: return 98
        case .iq1_s: return 50
        case .iq3_s: return 110
        case .iq2_s: return 82
        case .iq4_xs: return 136
        case .iq1_m: return 56
        case .tq1_0: return 54
        case .tq2_0: return 66
        }
    }

    public var isQuantized: Bool { blockSize > 1 }

    /// Whether HDRec can decode this type to f32 and multiply by it (dequantize,
    /// `QuantizedMatMul`, `WeightMatrix`). Other types parse but are refused there.
    public var isDecodable: Bool {
        switch self {
        case .f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K: return true
        default: return false
        }
    }

    /// Whether HDRec can encode f32 values as this type (ggml reference rounding).
    public var isQuantizable: Bool {
        switch self {
        case .f32, .f16, .bf16, .q4_0, .q4_1, .q8_0: return true
        default: return false
        }
    }

    /// Bytes used by a row of `count` values, or nil when `count` is not a whole
    /// number of blocks (ggml requires rows of quantized types to be block-aligned).
    public func rowSize(_ count: Int) -> Int? {
        guard count >= 0, count % blockSize == 0 else { return nil }
        let (bytes, overflow) = (count / blockSize).multipliedReportingOverflow(by: typeSize)
        return overflow ? nil : bytes
    }

    /// The name ggml and llama.cpp print ("q4_1", "q4_K", "f32", ...): the case name.
    public var description: String {
        switch self {
        case .f32: return "f32"
        case .f16: return "f16"
        case .q4_0: return "q4_0"
        case .q4_1: return "q4_1"
        case .q5_0: return "q5_0"
        case .q5_1: return "q5_1"
        case .q8_0: return "q8_0"
        case .q8_1: return "q8_1"
        case .q2_K: return "q2_K"
        case .q3_K: return "q3_K"
        case .q4_K: return "q4_K"
        case .q5_K: return "q5_K"
        case .q6_K: return "q6_K"
        case .q8_K: return "q8_K"
        case .iq2_xxs: return "iq2_xxs"
        case .iq2_xs: return "iq2_xs"
        case .iq3_xxs: return "iq3_xxs"
        case .iq1_s: return "iq1_s"
        case .iq4_nl: return "iq4_nl"
        case .iq3_s: return "iq3_s"
        case .iq2_s: return "iq2_s"
        case .iq4_xs: return "iq4_xs"
        case .i8: return "i8"
        case .i16: return "i16"
        case .i32: return "i32"
        case .i64: return "i64"
        case .f64: return "f64"
        case .iq1_m: return "iq1_m"
        case .bf16: return "bf16"
        case .tq1_0: return "tq1_0"
        case .tq2_0: return "tq2_0"
        case .mxfp4: return "mxfp4"
        case .nvfp4: return "nvfp4"
        case .q1_0: return "q1_0"
        case .q2_0: return "q2_0"
        }
    }

    /// Parses a name as `description` prints it (case-insensitive).
    public init?(name: String) {
        let lower = name.lowercased()
        guard let t = GGMLType.allCases.first(where: { $0.description.lowercased() == lower }) else { return nil }
        self = t
    }
}
