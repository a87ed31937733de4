// A quantized weight matrix decoded to f32 once, for the f32-activation prefill path.
//
// The tiled product decodes each task's W rows into a panel on every call, which costs
// the same whatever the number of activation rows m, so it weighs most at small m: a
// returning user's new item, the ID pass (`hdrec bench-kernels --types f32 q4_1 --rows 16`:
// Q4_1 at about half the GFLOP/s of f32 weights; within 18 % at m = 128, where a cold prompt
// is; docs/kernels.md "Decoded weights"). With the rows decoded ahead of time a product reads
// them instead, and since they are the very values the per-task decoding produces, fed to
// the same micro-kernel in the same plan, the result is bitwise the same. Below the tiled
// path's row threshold (a returning user's ID pass: 2 new positions; a lone prompt's last
// row), the dot path reads them too: it FMAs each 32-value group in the same order whatever
// decodes the group, so again the same bits, without decoding W on every call.
// Costs 4 bytes per weight: `LlamaModel.decodingWeights(budgetBytes:)` decides which.

/// W [rows, cols] as f32, row-major, decoded once from a quantized WeightMatrix. Immutable.
public final class DecodedWeight: @unchecked Sendable {
    public let rows: Int
    public let cols: Int
    /// [rows][cols]
    let values: UnsafeMutablePointer<Float>
    /// The same values as an f32 WeightMatrix, for the dot path of products with fewer than
    /// `LinearKernel.tiledMinRows` activation rows (valid while this object lives).
    let matrix: WeightMatrix

    /// Bytes held.
    public var byteCount: Int { rows * cols * MemoryLayout<Float>.stride }

    /// nil for an f32 matrix (its products read it directly) or an empty one.
    public init?(_ weight: WeightMatrix) {
        guard weight.type != .f32, weight.rows > 0, weight.cols > 0 else { return nil }
        rows = weight.rows
        cols = weight.cols
        let bytes = rows * cols * MemoryLayout<Float>.stride
        let values = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64).bindMemory(to: Float.self, capacity: rows * cols)
        // rows·cols f32 values, row-major: a valid f32 matrix of this shape (nil, like an
        // undecodable weight, if WeightMatrix ever disagreed).
        guard let matrix = try? WeightMatrix(type: .f32, rows: rows, cols: cols, bytes: UnsafeRawBufferPointer(start: values, count: bytes)) else {
            values.deallocate()
            return nil
        }
        QuantizedMatMul.dequantize(weight, into: values)
        self.values = values
        self.matrix = matrix
    }

    deinit { values.deallocate() }

    /// The f32 bytes decoding `weight` would take (0 where it stays as it is).
    public static func bytes(for weight: WeightMatrix) -> Int {
        weight.type == .f32 ? 0 : weight.rows * weight.cols * MemoryLayout<Float>.stride
    }
}
