// Training checkpoints: the whole ParameterStore (parameters, AdamW moments, per-tensor
// step counts) and the global step, in one safetensors file written atomically.
import Foundation
import ModelFiles
import TrainingOps

public enum Checkpoint {
    public static func save(_ store: ParameterStore<Float>, step: Int, to path: String) throws {
        var writer = SafetensorsWriter(metadata: [
            "format": "hdrec-checkpoint-1",
            "step": String(step),
            "tensor_steps": store.steps.map(String.init).joined(separator: ","),
            "layout": store.layout.specs.map { "\($0.name):\($0.count)" }.joined(separator: ","),
        ])
        let n = store.layout.totalCount
        try writer.add(name: "parameters", floats: store.parameters.array, shape: [n])
        try writer.add(name: "adam_m", floats: store.m.array, shape: [n])
        try writer.add(name: "adam_v", floats: store.v.array, shape: [n])
        try writer.write(to: path)
    }

    /// Restores `store` from `path` and returns the global step; the layout must match.
    public static func load(_ store: ParameterStore<Float>, from path: String) throws -> Int {
        let file = try SafetensorsFile(path: path)
        let layout = store.layout.specs.map { "\($0.name):\($0.count)" }.joined(separator: ",")
        guard file.metadata["layout"] == layout else {
            throw HDRecTrainingError.resumeMismatch(field: "parameter layout of \(path)", run: "a different layout", requested: "this configuration")
        }
        for (name, tensor) in [("parameters", store.parameters), ("adam_m", store.m), ("adam_v", store.v)] {
            let values = try file.floats(named: name)
            guard values.count == tensor.count else {
                throw HDRecTrainingError.resumeMismatch(field: "\(name) size in \(path)", run: "\(values.count)", requested: "\(tensor.count)")
            }
            tensor.pointer.update(from: values, count: values.count)
        }
        let steps = (file.metadata["tensor_steps"] ?? "").split(separator: ",").compactMap { Int($0) }
        if steps.count == store.steps.count { store.steps = steps }
        return Int(file.metadata["step"] ?? "0") ?? 0
    }
}
