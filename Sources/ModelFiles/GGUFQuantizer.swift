// Re-quantizes a GGUF model's weight matrices to one type (`hdrec quantize`).
// Rule (as llama.cpp's llama-quant.cpp does for its basic types): every 2-D tensor
// is converted to the target type; 1-D tensors (norm weights, biases) and any
// tensor with other ranks are stored as F32, since they are tiny and precision-
// sensitive. A matrix whose rows are not a whole number of the target's blocks
// falls back to F16 (llama.cpp also falls back to a compatible type). Values go
// through f32 (dequantize, then ggml reference quantization). `general.file_type`
// is set to llama.cpp's ftype for the target, `general.quantization_version` to 2.
import Foundation
import Quant

public enum GGUFQuantizer {
    /// llama.cpp `enum llama_ftype` values for the whole-file types HDRec writes.
    public static func fileType(for type: GGMLType) -> UInt32 {
        switch type {
        case .f32: return 0
        case .f16: return 1
        case .q4_0: return 2
        case .q4_1: return 3
        case .q8_0: return 7
        case .bf16: return 32
        default: preconditionFailure("hdrec quantize writes only encodable types, not \(type)")
        }
    }

    /// The type a tensor of `shape` gets when the file is quantized to `target`.
    public static func outputType(shape: [Int], target: GGMLType) -> GGMLType {
        guard shape.count == 2 else { return .f32 }
        return target.rowSize(shape[0]) == nil ? .f16 : target
    }

    /// A writer holding `file` with its tensors converted per the rule above.
    public static func quantize(_ file: GGUFFile, to target: GGMLType) throws -> GGUFWriter {
        var w = GGUFWriter(copying: file)
        w.removeAllTensors()
        for t in file.tensors {
            let type = outputType(shape: t.shape, target: target)
            if type == t.type {
                try w.addTensor(t, from: file)
            } else {
                try w.addTensor(name: t.name, floats: try file.floats(of: t), shape: t.shape, as: type)
            }
        }
        w.setValue(.uint32(fileType(for: target)), forKey: "general.file_type")
        if target.isQuantized { w.setValue(.uint32(2), forKey: "general.quantization_version") }
        return w
    }

    /// Reads `input`, converts it and writes `output` atomically.
    public static func quantize(input: String, output: String, to target: GGMLType) throws {
        let file = try GGUFFile(path: input)
        try quantize(file, to: target).write(to: output)
    }
}
