// A format-2 bundle over stories260K with everything format 2 adds: a factorized IPL, the
// anchored ID pass's γ and the full SASRec checkpoint (a random SASRec whose short window,
// 5 items, is shorter than the test histories, so the anchor's truncation matters).
import Foundation
import Llama
import ModelFiles
import RecSys
@testable import HDRecInference
import TrainingOps

struct AnchoredStoriesBundle {
    let root: String
    let dir: String
    let heads: HDRecHeads
    let catalog: Catalog
    let sasrecModel: SASRecModel<Float>
    /// sasrec_model.safetensors as `hdrec sasrec` writes it, before export.
    let sasrecPath: String
    static let items = 10
    static let sasrecWidth = 16

    static func sasrec(seed: UInt64) -> SASRecModel<Float> {
        var config = SASRecConfig()
        config.hidden = sasrecWidth
        config.blocks = 1
        config.heads = 2
        config.inner = 32
        config.maxLength = 5
        config.initStd = 0.5     // scores spread well beyond the 1e-4 tolerance
        config.seed = seed
        return SASRecModel(config: config, numItems: items)
    }

    /// The item table of `model` as sasrec.safetensors holds it: [I + 1, D].
    static func table(_ model: SASRecModel<Float>) -> [Float] {
        let e = model.layout.itemEmbedding
        return Array(model.parameters[e ..< e + (items + 1) * sasrecWidth])
    }

    init(gate: Float?, sasrecSeed: UInt64 = 7) throws {
        root = NSTemporaryDirectory() + "hdrec-anchored-\(UUID().uuidString)"
        dir = root + "/bundle"
        let base = try LlamaModel(path: Stories.ggufPath)
        let c = base.config.width, (d, hp, k, n) = (Self.sasrecWidth, 24, 20, Self.items)
        var g = SplitMix(seed: 31)
        func rnd(_ count: Int, _ s: Float) -> [Float] { (0 ..< count).map { _ in g.float() * s } }
        var tensors = [
            NamedTensor(name: "projector.0.weight", shape: [hp, d], values: rnd(hp * d, 0.5)),
            NamedTensor(name: "projector.0.bias", shape: [hp], values: rnd(hp, 0.1)),
            NamedTensor(name: "projector.2.weight", shape: [c, hp], values: rnd(c * hp, 0.5)),
            NamedTensor(name: "projector.2.bias", shape: [c], values: rnd(c, 0.1)),
            NamedTensor(name: "ipl.proj.weight", shape: [k, c], values: rnd(k * c, 0.5)),
            NamedTensor(name: "ipl.proj.bias", shape: [k], values: rnd(k, 0.1)),
            NamedTensor(name: "ipl.items", shape: [n, k], values: rnd(n * k, 1)),
            NamedTensor(name: "ipl.item_bias", shape: [n], values: rnd(n, 0.5)),
            NamedTensor(name: "tokens.seq", shape: [c], values: rnd(c, 0.5)),
            NamedTensor(name: "tokens.align", shape: [c], values: rnd(c, 0.5)),
        ]
        if let gate { tensors.append(NamedTensor(name: "id.gate", shape: [1], values: [gate])) }
        heads = try HDRecHeads(tensors: tensors, file: "random")
        let words = ["red ball", "big tree", "little cat", "blue sky", "happy dog", "green park"]
        catalog = try Catalog(items: (0 ..< n).map { CatalogItem(id: "S\($0)", title: words[$0 % words.count] + " \($0)") })
        sasrecModel = Self.sasrec(seed: sasrecSeed)
        sasrecPath = root + "/src/sasrec.safetensors"
        try FileManager.default.createDirectory(atPath: root + "/src", withIntermediateDirectories: true)
        try SASRecExport.write(sasrecModel, to: sasrecPath)
        try StoriesBundle.randomAdapter("text", config: base.config, seed: 1).writePEFT(to: root + "/src/text")
        try StoriesBundle.randomAdapter("id", config: base.config, seed: 2).writePEFT(to: root + "/src/id")
        _ = try write(to: dir, sasrecModelPath: sasrecPath)
    }

    /// Writes the bundle again (to `directory`) with another SASRec checkpoint, or none.
    func write(to directory: String, sasrecModelPath: String?, table: [Float]? = nil,
               dtype: SafetensorsDType = .f32) throws -> BundleManifest {
        try BundleWriter.write(
            to: directory,
            sources: BundleSources(heads: heads, sasrec: table ?? Self.table(sasrecModel), catalog: catalog,
                                   textAdapterDirectory: root + "/src/text", idAdapterDirectory: root + "/src/id",
                                   basePath: Stories.ggufPath, copyBase: false, baseLayers: 5, tensorDType: dtype,
                                   sasrecModelPath: sasrecModelPath),
            dataset: .init(name: "stories-anchored", itemCount: Self.items), prompt: PromptConfiguration(),
            fusion: .init(alpha: 0.5), command: "AnchoredStoriesBundle")
    }

    /// A dataset whose users' test histories are `histories` (each followed by a target).
    func dataset(histories: [[Int]]) throws -> Dataset {
        try Dataset(name: "stories-anchored", items: catalog.items.map { Item(id: $0.id, title: $0.title) },
                    userIDs: histories.indices.map { "u\($0)" },
                    sequences: histories.enumerated().map { $0.element + [($0.offset * 3) % Self.items] })
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: root) }
}
