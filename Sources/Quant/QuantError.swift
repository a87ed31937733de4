// Errors of the Quant module: the safe, checked entry points (`Quantization`) throw
// these instead of trapping when a buffer length does not fit the block format.

/// A quantization request whose sizes do not fit the tensor type's block layout.
public enum QuantError: Error, CustomStringConvertible, Equatable, Sendable {
    /// `count` values cannot be stored as `type`: not a whole number of blocks.
    case countNotBlockMultiple(type: GGMLType, count: Int)
    /// A byte buffer has `available` bytes where `count` values of `type` need `needed`.
    case byteCountMismatch(type: GGMLType, count: Int, needed: Int, available: Int)
    /// A float buffer has `available` values where `needed` were expected.
    case valueCountMismatch(needed: Int, available: Int)
    /// `type` parses but HDRec cannot `operation` it ("decode", "encode as").
    case unsupportedType(type: GGMLType, operation: String)

    public var description: String {
        switch self {
        case let .countNotBlockMultiple(type, count):
            return "\(count) values are not a whole number of \(type) blocks of \(type.blockSize)"
        case let .byteCountMismatch(type, count, needed, available):
            return "\(count) values of \(type) need \(needed) bytes, buffer has \(available)"
        case let .valueCountMismatch(needed, available):
            return "expected \(needed) float values, got \(available)"
        case let .unsupportedType(type, operation):
            return "HDRec cannot \(operation) ggml type \(type)"
        }
    }
}
