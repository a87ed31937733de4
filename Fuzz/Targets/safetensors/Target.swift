// fuzz-safetensors: the safetensors reader (ModelFiles.SafetensorsFile, with its strict
// JSON header parser) on the input as a file. Invariants for a file it accepts:
//   - the tensors tile the data buffer from 0 to the end of the file, each with
//     byteCount = elements x dtype bits / 8, and lookups agree with the table;
//   - small tensors of convertible dtypes convert to elementCount floats;
//   - writing it back with SafetensorsWriter and reading that gives the same tensors
//     (dtype, shape, bytes) and metadata.
import Foundation
import FuzzSupport
import ModelFiles

func testOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Data(bytes: data, count: size)
    guard let file = try? SafetensorsFile(data: input) else { return 0 }
    require(file.dataOffset == 8 + file.headerLength && file.dataOffset <= file.fileSize, "header length \(file.headerLength)")
    let tensors = file.tensors
    require(tensors.count == file.tensorNames.count, "names and tensors differ")
    var end = 0
    for t in tensors.sorted(by: { ($0.dataOffsets.begin, $0.dataOffsets.end) < ($1.dataOffsets.begin, $1.dataOffsets.end) }) {
        require(t.dataOffsets.begin == end, "gap or overlap at \(t.name)")
        end = t.dataOffsets.end
        require(t.offset == file.dataOffset + t.dataOffsets.begin, "offset of \(t.name)")
        require(t.shape.allSatisfy { $0 >= 0 }, "shape of \(t.name)")
        require(t.elementCount * t.dtype.bits == t.byteCount * 8, "size of \(t.name)")
        require(file.tensor(named: t.name) == t, "lookup of \(t.name)")
        require(file.bytes(of: t).count == t.byteCount, "bytes(of: \(t.name))")
        if t.elementCount <= 1 << 14, let values = try? file.floats(of: t) {
            require(values.count == t.elementCount, "converted \(values.count) of \(t.elementCount)")
        }
    }
    require(file.dataOffset + end == file.fileSize, "buffer does not end at the end of the file")

    var writer = SafetensorsWriter(metadata: file.metadata)
    for t in tensors {
        do { try writer.add(name: t.name, dtype: t.dtype, shape: t.shape, bytes: Array(file.bytes(of: t))) } catch {
            require(false, "the writer refuses tensor \(t.name) the reader accepted: \(error)")
        }
    }
    let copy: SafetensorsFile
    do { copy = try SafetensorsFile(data: writer.serialized()) } catch {
        require(false, "an accepted file does not survive a copy: \(error)")
        return 0
    }
    require(copy.metadata == file.metadata, "metadata changed")
    require(Set(copy.tensorNames) == Set(file.tensorNames) && copy.tensorNames.count == file.tensorNames.count, "names changed")
    for t in tensors {
        guard let c = copy.tensor(named: t.name) else { require(false, "\(t.name) lost"); return 0 }
        require(c.dtype == t.dtype && c.shape == t.shape, "\(t.name) changed")
        require(copy.bytes(of: c).elementsEqual(file.bytes(of: t)), "data of \(t.name) changed")
    }
    return 0
}
