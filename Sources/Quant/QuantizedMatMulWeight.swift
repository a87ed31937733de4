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

    /// Validates that `bytes` holds exactly `rows` rows of `cols` values of `type`:
    /// `QuantError.countNotBlockMultiple` for a negative shape or rows that are not
    /// whole blocks, `.byteCountMismatch` (count = rows·cols) for a wrong byte count.
    /// A type HDRec cannot decode is `QuantError.unsupportedType`.
    public init(type: GGMLType, rows: Int, cols: Int, bytes: UnsafeRawBufferPointer) throws {
        try Quantization.requireDecoder(type)
        guard rows >= 0 else { throw QuantError.countNotBlockMultiple(type: type, count: rows) }
        guard let rowBytes = type.rowSize(cols) else { throw QuantError.countNotBlockMultiple(type: type, count: cols) }
        let (needed, overflow) = rowBytes.multipliedReportingOverflow(by: rows)
        guard !overflow, needed == bytes.count else {
            let (count, countOverflow) = rows.multipliedReportingOverflow(by: cols)
            throw QuantError.byteCountMismatch(type: type, count: countOverflow ? Int.max : count,
                                               needed: overflow ? Int.max : needed, available: bytes.count)
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
