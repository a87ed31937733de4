// Reading and writing heads.safetensors and sasrec.safetensors (docs/bundle.md):
// names and shapes checked, F16/BF16 accepted on reading, F32 written by default
// (F16 on request: `hdrec export --dtype f16` halves a bundle that is committed to git).
import Foundation
import ModelFiles

extension HDRecHeads {
    /// Loads heads.safetensors; errors name the file and tensor.
    public static func load(path: String) throws -> HDRecHeads {
        let file = try openSafetensors(path)
        var tensors: [NamedTensor] = []
        for info in file.tensors {
            guard [.f32, .f16, .bf16].contains(info.dtype) else {
                throw HDRecInferenceError.tensorContent(file: path, name: info.name, problem: "dtype \(info.dtype) (expected F32, F16 or BF16)")
            }
            tensors.append(NamedTensor(name: info.name, shape: info.shape, values: try file.floats(of: info)))
        }
        return try HDRecHeads(tensors: tensors, file: path)
    }

    /// Writes heads.safetensors atomically, every tensor stored as `dtype` (F32, F16 or BF16).
    public func write(to path: String, dtype: SafetensorsDType = .f32) throws {
        var writer = SafetensorsWriter(metadata: ["format": "hdrec-heads", "format_version": "1"])
        for t in tensors() { try writer.add(name: t.name, floats: t.values, shape: t.shape, as: dtype) }
        try writer.write(to: path)
    }
}

/// The frozen SASRec item table the ID pass reads (sasrec.safetensors).
public enum SASRecTable {
    /// The tensor name `hdrec sasrec` writes.
    public static let tensorName = "item_embedding"

    /// Loads `item_embedding` and checks it is [itemCount + 1, width] and finite. Returns [itemCount + 1, width] values.
    public static func load(path: String, itemCount: Int, width: Int) throws -> [Float] {
        let file = try openSafetensors(path)
        guard let info = file.tensor(named: tensorName) else { throw HDRecInferenceError.missingTensor(file: path, name: tensorName) }
        guard info.shape == [itemCount + 1, width] else {
            throw HDRecInferenceError.tensorShape(file: path, name: tensorName, expected: [itemCount + 1, width], found: info.shape)
        }
        let values = try file.floats(of: info)
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw HDRecInferenceError.tensorContent(file: path, name: tensorName, problem: "non-finite value at row \(bad / max(1, width))")
        }
        return values
    }

    /// Writes a table in the same layout (tests and bundles made from other sources), stored as `dtype`.
    public static func write(_ values: [Float], itemCount: Int, width: Int, to path: String, dtype: SafetensorsDType = .f32) throws {
        var writer = SafetensorsWriter()
        try writer.add(name: tensorName, floats: values, shape: [itemCount + 1, width], as: dtype)
        try writer.write(to: path)
    }
}

func openSafetensors(_ path: String) throws -> SafetensorsFile {
    guard FileManager.default.fileExists(atPath: path) else { throw HDRecInferenceError.missingFile(path: path) }
    do { return try SafetensorsFile(path: path) } catch {
        throw HDRecInferenceError.malformedFile(path: path, field: "(file)", problem: "not a readable safetensors file: \(error)")
    }
}
