// Exporting and reloading a trained SASRec as safetensors (ModelFiles'
// writer and reader). The tensor the HDRec ID branch needs is
// `item_embedding`, f32 [items + 1, hidden]: row 0 is the padding row and row
// i+1 is item i (the dataset's item index). The reference reproduction wrote
// item k to row k (reference-implementation.md §4, §9.8); this does not.
// The other tensors are exported too, so the file reloads into a full model.
import ModelFiles

public enum SASRecExport {
    /// Writes every parameter tensor (names from `SASRecLayout.tensors`) to `path`, atomically.
    public static func write(_ model: SASRecModel<Float>, to path: String, metadata: [String: String] = [:]) throws {
        var writer = SafetensorsWriter(metadata: metadata.merging([
            "format": "hdrec-sasrec", "items": String(model.layout.numItems), "hidden": String(model.layout.config.hidden),
            "row_convention": "row 0 = padding, row i+1 = item i",
        ]) { a, _ in a })
        for t in model.layout.tensors {
            let n = t.shape.reduce(1, *)
            try writer.add(name: t.name, floats: Array(model.parameters[t.offset..<(t.offset + n)]), shape: t.shape)
        }
        try writer.write(to: path)
    }

    /// The item table from a SASRec safetensors file: [items + 1, hidden] row-major, checked against `numItems`.
    public static func itemEmbedding(path: String, numItems: Int) throws -> (values: [Float], hidden: Int) {
        let file = try SafetensorsFile(path: path)
        let values = try file.floats(named: "item_embedding")
        guard numItems > 0, values.count % (numItems + 1) == 0 else {
            throw RecSysError.shapeMismatch(name: "item_embedding", expected: [numItems + 1, -1], found: [values.count])
        }
        return (values, values.count / (numItems + 1))
    }

    /// Reloads a full model written by `write` with the same configuration.
    public static func load(path: String, config: SASRecConfig, numItems: Int) throws -> SASRecModel<Float> {
        let layout = SASRecLayout(config: config, numItems: numItems)
        let file = try SafetensorsFile(path: path)
        var parameters = [Float](repeating: 0, count: layout.count)
        for t in layout.tensors {
            let values = try file.floats(named: t.name)
            guard values.count == t.shape.reduce(1, *) else {
                throw RecSysError.shapeMismatch(name: t.name, expected: t.shape, found: [values.count])
            }
            for (i, v) in values.enumerated() { parameters[t.offset + i] = v }
        }
        return SASRecModel(layout: layout, parameters: parameters)
    }
}
