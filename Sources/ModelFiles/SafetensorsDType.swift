// safetensors element types (safetensors/src/tensor.rs `Dtype`) with their bit
// widths, so the reader can check dtype x shape = byte size for every dtype the
// format defines, even the ones HDRec never converts to f32.

public enum SafetensorsDType: String, Sendable, CaseIterable, CustomStringConvertible {
    case bool = "BOOL", f4 = "F4", f6_e2m3 = "F6_E2M3", f6_e3m2 = "F6_E3M2"
    case u8 = "U8", i8 = "I8", f8_e5m2 = "F8_E5M2", f8_e4m3 = "F8_E4M3", f8_e8m0 = "F8_E8M0"
    case f8_e4m3fnuz = "F8_E4M3FNUZ", f8_e5m2fnuz = "F8_E5M2FNUZ"
    case i16 = "I16", u16 = "U16", f16 = "F16", bf16 = "BF16"
    case i32 = "I32", u32 = "U32", f32 = "F32"
    case c64 = "C64", f64 = "F64", i64 = "I64", u64 = "U64"

    /// Bits per element.
    public var bits: Int {
        switch self {
        case .f4: return 4
        case .f6_e2m3, .f6_e3m2: return 6
        case .bool, .u8, .i8, .f8_e5m2, .f8_e4m3, .f8_e8m0, .f8_e4m3fnuz, .f8_e5m2fnuz: return 8
        case .i16, .u16, .f16, .bf16: return 16
        case .i32, .u32, .f32: return 32
        case .c64, .f64, .i64, .u64: return 64
        }
    }

    /// Whether `floats(...)` can convert this dtype to f32.
    public var convertsToFloat: Bool {
        switch self {
        case .f32, .f16, .bf16, .f64, .u8, .i8, .i16, .u16, .i32, .u32, .i64, .u64, .bool: return true
        default: return false
        }
    }

    public var description: String { rawValue }
}
