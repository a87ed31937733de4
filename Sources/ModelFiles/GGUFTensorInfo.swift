// One entry of a GGUF file's tensor table, with its data location resolved to an
// absolute byte range of the file (already checked to lie inside it).
import Quant

public struct GGUFTensorInfo: Sendable, Equatable {
    /// Tensor name as stored (e.g. "blk.0.attn_q.weight").
    public let name: String
    public let type: GGMLType
    /// Dimensions in ggml `ne` order: `shape[0]` is the contiguous (row) dimension,
    /// so a [rows x cols] row-major matrix has shape [cols, rows].
    public let shape: [Int]
    /// Absolute offset of the first data byte in the file.
    public let offset: Int
    /// Size of the data in bytes (rows x row size of `type`).
    public let byteCount: Int

    /// Number of values (product of `shape`, 1 for a 0-dimensional tensor).
    public var elementCount: Int { shape.reduce(1, *) }
    /// Values per row (`shape[0]`).
    public var rowLength: Int { shape.first ?? 1 }
    /// Number of rows (product of `shape[1...]`).
    public var rowCount: Int { shape.dropFirst().reduce(1, *) }

    public init(name: String, type: GGMLType, shape: [Int], offset: Int, byteCount: Int) {
        self.name = name
        self.type = type
        self.shape = shape
        self.offset = offset
        self.byteCount = byteCount
    }
}
