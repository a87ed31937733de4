// Row access to a stored weight matrix: the token-embedding lookup decodes one row of
// any supported type, and merging decodes a whole matrix to f32.
import Quant

extension WeightMatrix {
    /// Decodes row `row` (cols values) into `out`.
    func dequantizeRow(_ row: Int, into out: UnsafeMutableBufferPointer<Float>) throws {
        guard row >= 0, row < rows, out.count == cols else {
            throw LlamaError.invalidArgument("row \(row) of a \(rows)×\(cols) matrix into \(out.count) values")
        }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[row * rowBytes ..< (row + 1) * rowBytes])
        try Quantization.dequantize(slice, as: type, into: out)
    }

    /// The whole matrix as f32, [rows, cols] row-major.
    func dequantized() throws -> [Float] {
        var out = [Float](repeating: 0, count: rows * cols)
        out.withUnsafeMutableBufferPointer { QuantizedMatMul.dequantize(self, into: $0.baseAddress!) }
        return out
    }
}
