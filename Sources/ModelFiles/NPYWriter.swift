// numpy .npy format version 1.0 (numpy/lib/format.py, NEP 1) for f32 arrays, used
// by `hdrec logits` to hand tensors to numpy-based checks:
//   "\x93NUMPY" | major 1 | minor 0 | u16 LE header length | header | data
// The header is a Python dict literal {'descr': '<f4', 'fortran_order': False,
// 'shape': (d0, d1, ...), } padded with spaces and ended by '\n' so that the data
// starts at a multiple of 64 bytes, as numpy itself writes it. Data is C order.
import Foundation
import Support

public enum NPYWriter {
    /// The .npy image of `values` with `shape` (product must equal the count).
    public static func encode(_ values: [Float], shape: [Int]) throws -> Data {
        let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: max($1, 0)).partialValue }
        guard shape.allSatisfy({ $0 >= 0 }), count == values.count else {
            throw ModelFilesError.invalidTensor(name: "npy", reason: "shape \(shape) does not hold \(values.count) values")
        }
        let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(dims), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        guard header.utf8.count <= Int(UInt16.max) else {
            throw ModelFilesError.invalidTensor(name: "npy", reason: "header too long for .npy v1.0")
        }
        var out = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let len = UInt16(header.utf8.count)
        out.append(contentsOf: [UInt8(len & 0xff), UInt8(len >> 8)])
        out.append(contentsOf: Array(header.utf8))
        values.withUnsafeBytes { out.append(contentsOf: $0) }  // little-endian hosts only
        return out
    }

    /// Writes `values` as a .npy file atomically.
    public static func write(_ values: [Float], shape: [Int], to path: String) throws {
        try AtomicFile.write(try encode(values, shape: shape), to: path)
    }
}
