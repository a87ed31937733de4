// End to end on a real decoder: a tiny random bundle over stories260K (written
// through the real writers: PEFT adapters, heads and SASRec safetensors,
// catalog, manifest) is loaded and served; the answer must equal running the
// decoder by hand on the full prompts (no prefix reuse), then the IPL, fusion
// and top-k. This pins the wiring: adapters per pass, [SEQ] rows, item slots,
// the read position, and the shared-prefix KV cache.
import Foundation
import Testing
import Llama
import Tokenizer
@testable import HDRecInference

struct StoriesBundle {
    let root: String
    let dir: String
    let heads: HDRecHeads
    let catalog: Catalog
    let sasrec: [Float]

    /// A random adapter on q, v and down with non-zero B (a fresh PEFT adapter would be the identity).
    static func randomAdapter(_ name: String, config: LlamaConfig, seed: UInt64) throws -> LoRAAdapter {
        var g = SplitMix(seed: seed)
        var pairs: [LoRASite: LoRAPair] = [:]
        for layer in 0 ..< config.layerCount {
            for target in [LoRATarget.q, .v, .down] {
                let (rows, cols) = target.shape(in: config)
                let r = 4
                pairs[LoRASite(layer: layer, target: target)] = try LoRAPair(
                    a: (0 ..< r * cols).map { _ in g.float() * 0.3 }, b: (0 ..< rows * r).map { _ in g.float() * 0.3 },
                    rank: r, inFeatures: cols, outFeatures: rows)
            }
        }
        return try LoRAAdapter(name: name, alpha: 8, base: config, pairs: pairs)
    }

    init(items: Int = 12) throws {
        root = NSTemporaryDirectory() + "hdrec-e2e-\(UUID().uuidString)"
        dir = root + "/bundle"
        let base = try LlamaModel(path: Stories.ggufPath)
        let c = base.config.width
        var g = SplitMix(seed: 99)
        func rnd(_ n: Int, _ s: Float) -> [Float] { (0 ..< n).map { _ in g.float() * s } }
        let (d, hp, hi) = (16, 24, 20)
        heads = try HDRecHeads(tensors: [
            NamedTensor(name: "projector.0.weight", shape: [hp, d], values: rnd(hp * d, 0.5)),
            NamedTensor(name: "projector.0.bias", shape: [hp], values: rnd(hp, 0.1)),
            NamedTensor(name: "projector.2.weight", shape: [c, hp], values: rnd(c * hp, 0.5)),
            NamedTensor(name: "projector.2.bias", shape: [c], values: rnd(c, 0.1)),
            NamedTensor(name: "ipl.0.weight", shape: [hi, c], values: rnd(hi * c, 0.5)),
            NamedTensor(name: "ipl.0.bias", shape: [hi], values: rnd(hi, 0.1)),
            NamedTensor(name: "ipl.2.weight", shape: [items, hi], values: rnd(items * hi, 1)),
            NamedTensor(name: "tokens.seq", shape: [c], values: rnd(c, 0.5)),
            NamedTensor(name: "tokens.align", shape: [c], values: rnd(c, 0.5)),
        ], file: "random")
        let words = ["red ball", "big tree", "little cat", "blue sky", "happy dog", "green park"]
        catalog = try Catalog(items: (0 ..< items).map {
            CatalogItem(id: "S\($0)", title: words[$0 % words.count] + " \($0)", brand: $0 % 3 == 0 ? "Lily" : nil)
        })
        sasrec = [Float](repeating: 0, count: d) + rnd(items * d, 1)
        try Self.randomAdapter("text", config: base.config, seed: 1).writePEFT(to: root + "/src/text")
        try Self.randomAdapter("id", config: base.config, seed: 2).writePEFT(to: root + "/src/id")
        _ = try BundleWriter.write(
            to: dir,
            sources: BundleSources(heads: heads, sasrec: sasrec, catalog: catalog, textAdapterDirectory: root + "/src/text",
                                   idAdapterDirectory: root + "/src/id", basePath: Stories.ggufPath, copyBase: false,
                                   baseLayers: base.config.layerCount),
            dataset: .init(name: "stories-tiny", itemCount: items), prompt: PromptConfiguration(),
            fusion: .init(alpha: 0.5), command: "EndToEndInferenceTests")
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: root) }
}

@Suite("End-to-end inference on stories260K")
struct EndToEndInferenceTests {
    @Test("recommend equals the decoder run by hand on the full prompts, for every fusion")
    func handRun() throws {
        let b = try StoriesBundle()
        defer { b.cleanup() }
        let loaded = try HDRecModel.load(bundle: b.dir, basePath: Stories.ggufPath)
        let model = loaded.model
        let decoder = try #require(model.decoder as? LlamaHDRecDecoder)
        let histories = [[0, 5, 7], [3], [11, 2, 2, 9, 4]]

        // By hand: full prompts, fresh caches, adapters chosen per pass, last position.
        func hidden(_ p: PromptSequence, _ adapter: LoRAAdapter) throws -> [Float] {
            let items: [InputItem] = model.decoderInputs(p).map {
                switch $0 { case let .token(t): return .token(t); case let .embedding(r): return .embedding(r) }
            }
            let out = try loaded.base.forward(items, cache: KVCache(config: loaded.base.config), adapters: [ActiveAdapter(adapter)], logits: .none)
            let c = loaded.base.config.width
            return Array(out.hidden[(out.count - 1) * c ..< out.count * c])
        }
        // Twice, so the second call runs on pooled prefix caches.
        for _ in 0 ..< 2 {
            let s = try model.passScores(histories: histories)
            for (i, h) in histories.enumerated() {
                let p = try model.prompts.userPrompts(history: h)
                let zt = b.heads.ipl(try hidden(p.text, decoder.textAdapter), rows: 1)
                let zi = b.heads.ipl(try hidden(p.id, decoder.idAdapter), rows: 1)
                for (x, y) in zip(s.text[i], zt) { #expect(abs(x - y) <= 1e-4 * max(1, abs(y))) }
                for (x, y) in zip(s.id[i], zi) { #expect(abs(x - y) <= 1e-4 * max(1, abs(y))) }
            }
        }
        let s = try model.passScores(histories: [histories[2]])
        #expect(s.text[0] != s.id[0], "the two passes differ")
        for method in FusionMethod.allCases {
            let r = try model.recommend([RecommendationRequest(history: histories[2], k: 5, fusion: method)])[0]
            let fused = try Fusion.fuse(text: s.text[0], id: s.id[0], method: method, parameters: FusionParameters(alpha: 0.5))
            let top = TopK.select(fused.final, k: 5)
            #expect(r.items.map(\.index) == top.map(\.index), "\(method)")
            for (x, y) in zip(r.items.map(\.score), top.map(\.score)) { #expect(abs(x - y) <= 1e-4 * max(1, abs(y))) }
        }
    }

    @Test("loading refuses a base with another sha256 and answers through the JSON response")
    func loadChecks() throws {
        let b = try StoriesBundle()
        defer { b.cleanup() }
        #expect(throws: HDRecInferenceError.self) { try HDRecModel.load(bundle: b.dir, basePath: b.dir + "/heads.safetensors") }
        let loaded = try HDRecModel.load(bundle: b.dir, basePath: Stories.ggufPath)
        let r = try loaded.model.recommend([RecommendationRequest(history: [1, 2], k: 3)])[0]
        let json = RecommendationResponse(r, catalog: loaded.contents.catalog, versions: loaded.model.versions, explain: false)
        #expect(json.items.count == 3 && json.adapters?.text == loaded.contents.manifest.adapters.text.version)
    }
}
