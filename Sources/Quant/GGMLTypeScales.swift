// Where the fp16 scale fields sit inside one block of each decodable block type (the
// layouts in GGMLType.swift and BlockQ*_K.swift). Only these fields can hold a NaN or
// an infinity (everything else is small integer codes), so the loader's NaN scan reads
// just them, and benchmarks and tests build valid random blocks by writing sane scales
// there over random bytes.

extension GGMLType {
    /// Byte offsets of the fp16 scale fields in one block; empty for scalar types and
    /// for block types HDRec cannot decode.
    public var halfFieldOffsets: [Int] {
        switch self {
        case .q4_0, .q5_0, .q8_0: return [0]            // d
        case .q4_1, .q5_1, .q4_K, .q5_K: return [0, 2]  // d, m / dmin
        case .q2_K: return [80, 82]                     // d, dmin after scales and qs
        case .q3_K: return [108]                        // d last
        case .q6_K: return [208]                        // d last
        default: return []
        }
    }
}
