// WeightMatrix: a zero-copy view of a weight matrix stored in any supported ggml type,
// as it lies in a GGUF file (or any buffer): `rows` output features, each a row of
// `cols` input features in ggml's block layout (see GGMLType.swift), rows back to back.
// A PyTorch Linear weight [out, in] is a GGUF tensor with ne = [in, out], i.e. rows = out.

/// A zero-copy view of a (possibly quantized) weight W[rows, cols].
public struct WeightMatrix: @unchecked Sendable {
    public let type: GGMLType
    /// n: output features.
    public let rows: Int
    /// k: input features.
    public let cols: Int
    /// rows * type.rowSize(cols)! bytes, row-major, ggml layout.
    public let bytes: UnsafeRawBufferPointer
    /// Bytes per row.
    public let rowBytes: Int

    /// Validates that `bytes` holds exactly `rows` rows of `cols` values of `type`.
    public init(type: GGMLType, rows: Int, cols: Int, bytes: UnsafeRawBufferPointer) throws {
        guard rows >= 0, cols >= 0 else { throw WeightMatrixError.negativeShape(rows: rows, cols: cols) }
        guard let rowBytes = type.rowSize(cols) else {
            throw WeightMatrixError.colsNotBlockMultiple(type: type, cols: cols)
        }
        let (needed, overflow) = rowBytes.multipliedReportingOverflow(by: rows)
        guard !overflow, needed == bytes.count else {
            throw WeightMatrixError.byteCountMismatch(type: type, rows: rows, cols: cols,
                                                      needed: overflow ? nil : needed, available: bytes.count)
        }
        self.type = type
        self.rows = rows
        self.cols = cols
        self.bytes = bytes
        self.rowBytes = rowBytes
    }

    /// Start of row j (no bounds check: callers iterate 0..<rows).
    @inline(__always)
    func row(_ j: Int) -> UnsafeRawPointer { bytes.baseAddress! + j * rowBytes }
}

/// Why a buffer cannot be viewed as a weight matrix.
public enum WeightMatrixError: Error, CustomStringConvertible, Equatable, Sendable {
    case negativeShape(rows: Int, cols: Int)
    /// Quantized rows must hold whole 32-value blocks.
    case colsNotBlockMultiple(type: GGMLType, cols: Int)
    /// `needed` is nil when rows × row bytes overflows.
    case byteCountMismatch(type: GGMLType, rows: Int, cols: Int, needed: Int?, available: Int)

    public var description: String {
        switch self {
        case let .negativeShape(rows, cols):
            return "weight shape [\(rows), \(cols)] has a negative dimension"
        case let .colsNotBlockMultiple(type, cols):
            return "weight rows of \(cols) values are not a whole number of \(type) blocks of \(type.blockSize)"
        case let .byteCountMismatch(type, rows, cols, needed, available):
            let want = needed.map(String.init) ?? "more than Int.max"
            return "\(type) weight [\(rows), \(cols)] needs \(want) bytes, buffer has \(available)"
        }
    }
}
