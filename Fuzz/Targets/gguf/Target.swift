// fuzz-gguf: the GGUF reader (ModelFiles.GGUFFile / GGUFParser) on the input as a file.
// Invariants for a file it accepts:
//   - every tensor lies inside the file, in the data section, at an aligned offset,
//     with byteCount = rows x row size of its type, and no two tensors overlap;
//   - lookups by name agree with the table; typed metadata accessors do not trap;
//   - small tensors dequantize to elementCount values;
//   - writing it back with GGUFWriter(copying:) and reading that gives the same
//     version, metadata (bit for bit) and tensors (type, shape, bytes).
import Foundation
import FuzzSupport
import ModelFiles
import Quant

/// Metadata equality with floats compared by bit pattern (NaN is a legal value).
func same(_ a: GGUFValue, _ b: GGUFValue) -> Bool {
    switch (a, b) {
    case let (.float32(x), .float32(y)): return x.bitPattern == y.bitPattern
    case let (.float64(x), .float64(y)): return x.bitPattern == y.bitPattern
    case let (.array(t, xs), .array(u, ys)): return t == u && xs.count == ys.count && zip(xs, ys).allSatisfy(same)
    default: return a == b
    }
}

func testOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Data(bytes: data, count: size)
    guard let file = try? GGUFFile(data: input) else { return 0 }
    require(file.version == 2 || file.version == 3, "version \(file.version)")
    require(file.alignment > 0 && file.alignment & (file.alignment - 1) == 0, "alignment \(file.alignment)")
    require(file.dataOffset >= file.headerEnd && file.dataOffset % file.alignment == 0, "data offset \(file.dataOffset)")
    require(file.metadataKeys.count == file.metadata.count, "duplicate metadata keys")
    var spans: [(Int, Int)] = []
    for t in file.tensors {
        require(t.offset >= file.dataOffset && (t.offset - file.dataOffset) % file.alignment == 0, "tensor \(t.name) offset \(t.offset)")
        require(t.offset + t.byteCount <= file.fileSize, "tensor \(t.name) past the end")
        require(t.shape.count <= 4 && t.shape.allSatisfy { $0 >= 0 }, "tensor \(t.name) shape \(t.shape)")
        let rowBytes = t.type.rowSize(t.rowLength)
        require(rowBytes != nil && rowBytes! * (t.rowLength == 0 ? 0 : t.elementCount / t.rowLength) == t.byteCount,
                "tensor \(t.name) byteCount \(t.byteCount)")
        require(file.tensor(named: t.name) == t, "lookup of \(t.name)")
        require(file.bytes(of: t).count == t.byteCount, "bytes(of: \(t.name))")
        if t.byteCount > 0 { spans.append((t.offset, t.byteCount)) }
        if t.elementCount <= 1 << 14 {
            if let values = try? file.floats(of: t) { require(values.count == t.elementCount, "dequantized \(values.count) of \(t.elementCount)") }
        }
    }
    spans.sort { $0.0 < $1.0 }
    for (a, b) in zip(spans, spans.dropFirst()) { require(a.0 + a.1 <= b.0, "overlapping tensors") }
    for key in file.metadataKeys {
        _ = (file.uint(key), file.int(key), file.float(key), file.bool(key), file.string(key), file.strings(key),
             file.floats(key), file.ints(key), file.metadata[key]?.summary())
    }
    _ = file.architecture

    let copy: GGUFFile
    do {
        copy = try GGUFFile(data: GGUFWriter(copying: file).serialized())
    } catch {
        require(false, "an accepted file does not survive a copy: \(error)")
        return 0
    }
    require(copy.version == file.version, "version changed")
    require(copy.metadataKeys == file.metadataKeys, "metadata keys changed")
    for key in file.metadataKeys { require(same(copy.metadata[key]!, file.metadata[key]!), "metadata \(key) changed") }
    require(copy.tensors.count == file.tensors.count, "tensor count changed")
    for (a, b) in zip(file.tensors, copy.tensors) {
        require(a.name == b.name && a.type == b.type && a.shape == b.shape && a.byteCount == b.byteCount, "tensor \(a.name) changed")
        require(file.bytes(of: a).elementsEqual(copy.bytes(of: b)), "data of \(a.name) changed")
    }
    return 0
}
