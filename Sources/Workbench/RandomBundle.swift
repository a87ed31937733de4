// A bundle with seeded random heads and adapters over a real base and catalog:
// not a recommender (its rankings mean nothing) but a complete, valid bundle
// for exercising loading, serving, hot swaps and load tests before a trained
// one exists. The manifest says so (`hyperparameters.random = true`).
import Foundation
import Llama
import ModelFiles
import HDRecInference
import RecSys
import Support

public enum RandomBundle {
    /// Seeded uniform values in ±scale.
    static func values(_ n: Int, scale: Float, rng: inout SplitMix64) -> [Float] {
        (0 ..< n).map { _ in (rng.nextUnitFloat() * 2 - 1) * scale }
    }

    /// A random LoRA adapter (non-zero B, so the two passes differ) on `targets` of every layer.
    public static func adapter(name: String, base: LlamaConfig, rank: Int, alpha: Float, targets: [LoRATarget],
                               seed: UInt64, scale: Float = 0.02) throws -> LoRAAdapter {
        var rng = SplitMix64(seed: seed)
        var pairs: [LoRASite: LoRAPair] = [:]
        for layer in 0 ..< base.layerCount {
            for target in targets {
                let (rows, cols) = target.shape(in: base)
                pairs[LoRASite(layer: layer, target: target)] = try LoRAPair(
                    a: values(rank * cols, scale: 1 / Float(cols).squareRoot(), rng: &rng),
                    b: values(rows * rank, scale: scale, rng: &rng), rank: rank, inFeatures: cols, outFeatures: rows)
            }
        }
        return try LoRAAdapter(name: name, alpha: alpha, base: base, pairs: pairs)
    }

    /// Random heads of the given sizes (PyTorch-default-like ±1/√in initialisation).
    public static func heads(_ d: HeadsDimensions, seed: UInt64) throws -> HDRecHeads {
        var rng = SplitMix64(seed: seed)
        func linear(_ out: Int, _ input: Int) -> [Float] { values(out * input, scale: 1 / Float(input).squareRoot(), rng: &rng) }
        let c = d.modelWidth
        return try HDRecHeads(dimensions: d,
                              projector: try Projector(w0: linear(d.projectorHidden, d.sasrecWidth), b0: values(d.projectorHidden, scale: 0.01, rng: &rng),
                                                       w2: linear(c, d.projectorHidden), b2: values(c, scale: 0.01, rng: &rng),
                                                       inputWidth: d.sasrecWidth, hidden: d.projectorHidden, outputWidth: c),
                              ipl: try ItemProjectionLayer(w0: linear(d.iplHidden, c), b0: values(d.iplHidden, scale: 0.01, rng: &rng),
                                                           w2: linear(d.itemCount, d.iplHidden), inputWidth: c, hidden: d.iplHidden, itemCount: d.itemCount),
                              seqEmbedding: values(c, scale: 0.05, rng: &rng), alignEmbedding: values(c, scale: 0.05, rng: &rng))
    }

    /// Writes a random bundle for `catalog` over the base GGUF at `basePath` into `directory`.
    /// - Parameter sasrec: a real SASRec table [I + 1, 128] to use, or nil for a random one.
    @discardableResult
    public static func write(to directory: String, basePath: String, catalog: Catalog, datasetName: String,
                             sasrec: [Float]? = nil, hidden: Int = 256, rank: Int = 8, copyBase: Bool = false,
                             seed: UInt64 = 42, command: String) throws -> BundleManifest {
        let base = try LlamaModel(path: basePath)
        let dims = HeadsDimensions(sasrecWidth: 128, projectorHidden: hidden, modelWidth: base.config.width,
                                   iplHidden: hidden, itemCount: catalog.count)
        var rng = SplitMix64(seed: seed ^ 0x5A5A)
        let table = sasrec ?? ([Float](repeating: 0, count: 128) + values(catalog.count * 128, scale: 0.1, rng: &rng))
        let scratch = directory + "/.adapters-src"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let targets: [LoRATarget] = [.q, .k, .v, .o, .up, .down]
        try adapter(name: "text", base: base.config, rank: rank, alpha: 32, targets: targets, seed: seed &+ 1).writePEFT(to: scratch + "/text")
        try adapter(name: "id", base: base.config, rank: rank, alpha: 32, targets: targets, seed: seed &+ 2).writePEFT(to: scratch + "/id")
        return try BundleWriter.write(
            to: directory,
            sources: BundleSources(heads: try heads(dims, seed: seed &+ 3), sasrec: table, catalog: catalog,
                                   textAdapterDirectory: scratch + "/text", idAdapterDirectory: scratch + "/id",
                                   basePath: basePath, copyBase: copyBase, baseLayers: base.config.layerCount),
            dataset: .init(name: datasetName, itemCount: catalog.count), prompt: PromptConfiguration(),
            fusion: .init(alpha: 0.5),
            hyperparameters: ["random": .bool(true), "seed": .number(Double(seed)), "lora_rank": .number(Double(rank)),
                              "lora_alpha": .number(32), "lora_targets": .array(targets.map { .string($0.rawValue) })],
            command: command)
    }
}
