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

    /// Restores `store` from `path` and returns the global step; the layout must match tensor for
    /// tensor, or the error names the first tensor that differs.
    public static func load(_ store: ParameterStore<Float>, from path: String) throws -> Int {
        let file = try SafetensorsFile(path: path)
        try checkLayout(file.metadata["layout"] ?? "", of: path, against: store.layout)
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

    /// Compares a checkpoint's layout (`name:count,...`) with the network's, in order. Checkpoints
    /// written before training adopted the bundle's tensor names (`projector.w1`, `lora.text.0.q.a`, ...)
    /// fail here on their first tensor.
    static func checkLayout(_ text: String, of path: String, against layout: ParameterLayout) throws {
        let saved: [(name: String, count: Int?)] = text.split(separator: ",").map { entry in
            guard let colon = entry.lastIndex(of: ":") else { return (String(entry), nil) }
            return (String(entry[..<colon]), Int(entry[entry.index(after: colon)...]))
        }
        let expected = layout.specs
        for (i, entry) in saved.enumerated() {
            guard i < expected.count else {
                throw HDRecTrainingError.checkpointTensor(path: path, tensor: entry.name, problem: "is not a tensor of this network")
            }
            guard entry.name == expected[i].name else {
                let known = expected.contains { $0.name == entry.name }
                throw HDRecTrainingError.checkpointTensor(path: path, tensor: known ? expected[i].name : entry.name,
                    problem: known ? "is missing (or out of order)" : "is not a tensor of this network")
            }
            guard entry.count == expected[i].count else {
                throw HDRecTrainingError.checkpointTensor(path: path, tensor: entry.name,
                    problem: "holds \(entry.count.map(String.init) ?? "an unreadable count of") values where this network has \(expected[i].count)")
            }
        }
        if saved.count < expected.count {
            throw HDRecTrainingError.checkpointTensor(path: path, tensor: expected[saved.count].name, problem: "is missing")
        }
    }
}
