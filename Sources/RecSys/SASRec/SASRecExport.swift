// Exporting and reloading a trained SASRec as safetensors (ModelFiles'
// writer and reader). The tensor the HDRec ID branch needs is
// `item_embedding`, f32 [items + 1, hidden]: row 0 is the padding row and row
// i+1 is item i (the dataset's item index). The reference reproduction wrote
// item k to row k (docs/public-code.md §4); this does not.
// The other tensors are exported too, so the file reloads into a full model.
import ModelFiles
import TrainingOps

public enum SASRecExport {
    /// Writes every parameter tensor (names from `SASRecLayout.tensors`) to `path`, atomically.
    public static func write(_ model: SASRecModel<Float>, to path: String, metadata: [String: String] = [:]) throws {
        var writer = SafetensorsWriter(metadata: metadata.merging([
            "format": "hdrec-sasrec", "items": String(model.layout.numItems), "hidden": String(model.layout.config.hidden),
            "row_convention": "row 0 = padding, row i+1 = item i",
            "blocks": String(model.layout.config.blocks), "heads": String(model.layout.config.heads),
            "inner": String(model.layout.config.inner), "max_length": String(model.layout.config.maxLength),
            "layer_norm_eps": String(model.layout.config.layerNormEps),
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

    /// Reloads a full model written by `write`, its architecture read from the file: items and
    /// width from `item_embedding`, blocks/heads/inner/max_length/layer_norm_eps from the
    /// metadata (files written before those keys existed get the defaults they were trained with).
    public static func load(path: String) throws -> SASRecModel<Float> {
        let file = try SafetensorsFile(path: path)
        let table = try file.floats(named: "item_embedding")
        guard let hidden = file.metadata["hidden"].flatMap(Int.init), hidden > 0, table.count % hidden == 0,
              table.count / hidden >= 2 else {
            throw RecSysError.badHeader(path: path, message: "metadata 'hidden' is missing or does not divide item_embedding's \(table.count) values")
        }
        let shape = [table.count / hidden, hidden]
        var config = SASRecConfig()
        config.hidden = hidden
        let meta = file.metadata
        func int(_ key: String, _ fallback: Int) throws -> Int {
            guard let text = meta[key] else { return fallback }
            guard let v = Int(text), v > 0 else {
                throw RecSysError.badHeader(path: path, message: "metadata '\(key)' must be a positive integer, found '\(text)'")
            }
            return v
        }
        config.blocks = try int("blocks", config.blocks)
        config.heads = try int("heads", config.heads)
        config.inner = try int("inner", config.inner)
        config.maxLength = try int("max_length", config.maxLength)
        if let eps = meta["layer_norm_eps"].flatMap(Double.init) { config.layerNormEps = eps }
        return try load(path: path, config: config, numItems: shape[0] - 1)
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
