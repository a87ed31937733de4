// The default recipe's training levers (docs/training.md "Recipes and the shipped configuration") on a tiny real decoder (stories260K, 3 layers): LoRA on the top
// layer with the text prompts' activations below cached, the SASRec-anchored ID pass, the
// one-way KL, and the ridge-initialised projector.
import Foundation
import ModelFiles
import HDRecInference
import RecSys
import Testing
import Tokenizer
@testable import Training
import TrainingOps

private struct Fixture {
    let network: HDRecNetwork<Float>
    let prompts: PromptBuilder
    let base: FrozenBase<Float>
    let anchors: SASRecAnchors
}

private func fixture(loraLayers: Int? = 1) throws -> Fixture {
    let (gguf, prompts) = try StoriesPromptFixture.load()
    let base = try FrozenBase<Float>(gguf: gguf, layers: 3)
    var config = HDRecNetworkConfig(layers: 3, projectorHidden: 16, iplHidden: 16)
    config.sasrecWidth = 8
    config.iplKind = .factorized
    config.idAnchor = true
    config.loraLayers = loraLayers
    var sasrecConfig = SASRecConfig()
    sasrecConfig.hidden = 8; sasrecConfig.heads = 2; sasrecConfig.inner = 16; sasrecConfig.blocks = 1
    let model = SASRecModel<Float>(config: sasrecConfig, numItems: 6)
    let table = Array(model.parameters[model.layout.itemEmbedding ..< model.layout.itemEmbedding + 7 * 8])
    let network = try HDRecNetwork(base: base, config: config, sasrec: table, itemCount: 6,
                                   seqToken: prompts.seqToken, alignToken: prompts.alignToken)
    let k = HDRecParameters<Float>.itemTableWidth(config, modelWidth: base.config.width)
    var rng = TrainingRNG(seed: 5)
    network.itemTable = Tensor((0 ..< 6 * k).map { _ in Float(rng.uniform(-1, 1)) })
    if config.isCut { network.activationCache = ActivationCache(layer: config.firstLoRALayer, width: base.config.width) }
    return Fixture(network: network, prompts: prompts, base: base, anchors: SASRecAnchors(model: model))
}

private func parameters(_ f: Fixture, textScale: Float = 0.3) throws -> HDRecParameters<Float> {
    let p = try HDRecParameters(config: f.network.config, base: f.base, itemCount: 6, seed: 3,
                                initialization: HeadInitialization(itemPrior: [0.1, -0.1, 0.2, 0, 0, -0.2], textScale: textScale))
    // Non-zero LoRA B, so the adapted layer changes the output and its gradients are visible.
    var rng = TrainingRNG(seed: 8)
    for spec in p.store.layout.specs where spec.group.hasPrefix("lora.") {
        let v = p.store.parameters.pointer + spec.offset
        for i in 0 ..< spec.count { v[i] = Float(rng.uniform(-0.05, 0.05)) }
    }
    return p
}

private let histories = [[0, 1, 2, 3], [2, 3, 4], [5, 1, 0, 2, 4]]

@Suite("Cut network, anchored ID pass, one-way KL, ridge projector")
struct CutNetworkTests {
    @Test("a cached text forward starts at the cut and gives the uncached logits (f16 rows)")
    func cacheIsExact() throws {
        let f = try fixture()
        let p = try parameters(f)
        let built = try histories.map { try f.prompts.userPrompts(history: Array($0.dropLast()), label: $0.last!).text }
        let cold = try f.network.forward(built, branch: .text, parameters: p, training: false, seed: 1)
        #expect(f.network.activationCache!.entries == 3 && f.network.activationCache!.misses == 3)
        let warm = try f.network.forward(built.reversed(), branch: .text, parameters: p, training: false, seed: 1)
        #expect(f.network.activationCache!.hits == 3)
        // Same prompts in another batch order: row blocks swap, values agree to f16 rounding of the cut rows.
        let v = 6
        var worst: Float = 0
        for (s, r) in zip(0 ..< 3, [2, 1, 0]) {
            let rowsCold = cold.rowsPerSequence[s], startCold = cold.rowsPerSequence.prefix(s).reduce(0, +)
            let startWarm = warm.rowsPerSequence.prefix(r).reduce(0, +)
            for i in 0 ..< rowsCold * v {
                worst = max(worst, abs(cold.logits[startCold * v + i] - warm.logits[startWarm * v + i]))
            }
        }
        // Measured 2.0e-3 (f16 rounding of the cut rows); halving the cached rows gives 1.6.
        #expect(worst < 5e-3, "cached and uncached logits differ by \(worst)")
        // A network with no cut never caches.
        let full = try fixture(loraLayers: nil)
        #expect(full.network.activationCache == nil && !full.network.config.isCut)
    }

    @Test("a cut text backward trains only the top layer's LoRA and leaves [SEQ] and the lower layers without gradient")
    func cutBackward() throws {
        let f = try fixture()
        let p = try parameters(f)
        let built = try histories.map { try f.prompts.userPrompts(history: Array($0.dropLast()), label: $0.last!).text }
        let forward = try f.network.forward(built, branch: .text, parameters: p, training: true, seed: 2)
        let d = Tensor<Float>((0 ..< forward.rowCount * 6).map { Float($0 % 5) - 2 })
        p.store.zeroGradients()
        try f.network.backward(forward, dLogits: d.const, parameters: p)
        #expect(p.keys.allSatisfy { if case let .lora(_, layer, _, _) = $0 { layer >= 2 } else { true } },
                "no LoRA tensors exist below the cut")
        let seq = try p.gradient(.token(.seq))
        #expect((0 ..< f.base.config.width).allSatisfy { seq[$0] == 0 })
        let top = try p.gradient(.lora(.text, layer: 2, .q, .a))
        #expect((0 ..< 8).contains { top[$0] != 0 })
        let proj = try p.gradient(.ipl(.projection))
        #expect((0 ..< 32).contains { proj[$0] != 0 })
    }

    @Test("the anchored ID pass equals SASRec's scores at γ = 0 and adds γ·IPL after")
    func anchoredIDPass() throws {
        let f = try fixture()
        let p = try parameters(f)
        let built = try histories.map { try f.prompts.userPrompts(history: $0).id }
        let states = try f.anchors.states(histories: histories, rows: histories.map { _ in 1 })
        let sasrec = f.anchors.model.scoreNext(SASRecBatch(sequences: histories.map { $0[...] }))
        let out = try f.network.forward(built, branch: .id, parameters: p, training: false, seed: 0, supervisedOnlyLast: true, anchors: states)
        for i in 0 ..< sasrec.count { #expect(abs(out.logits[i] - sasrec[i]) < 1e-4) }
        try p.parameter(.idGate)[0] = 0.5
        let gated = try f.network.forward(built, branch: .id, parameters: p, training: false, seed: 0, supervisedOnlyLast: true, anchors: states)
        let residual = try #require(gated.residual)
        for i in 0 ..< sasrec.count { #expect(abs(gated.logits[i] - (sasrec[i] + 0.5 * residual[i])) < 1e-4) }
        #expect(throws: HDRecTrainingError.self) {
            try f.network.forward(built, branch: .id, parameters: p, training: false, seed: 0, supervisedOnlyLast: true, anchors: nil)
        }
    }

    @Test("with idPhaseKL false the ID phase has no KL term and the text phase keeps it")
    func oneWayKL() throws {
        let f = try fixture()
        for oneWay in [false, true] {
            var options = TrainingOptions.cpu
            options.learningRate = 3e-3; options.warmupFraction = 0
            if oneWay { options.idPhaseKL = false }
            let t = DLATrainer(network: f.network, parameters: try parameters(f), prompts: f.prompts, options: options, totalSteps: 10)
            t.anchors = f.anchors
            var batch = TrainingBatch(users: try histories.map { try f.prompts.userPrompts(history: Array($0.dropLast()), label: $0.last!) })
            batch.userHistories = histories.map { Array($0.dropLast()) }
            let losses = try t.trainStep(batch)
            #expect(losses.textKL != nil)
            #expect((losses.idKL == nil) == oneWay)
        }
    }

    @Test("the ridge projector writes R·x + c into the SiLU MLP exactly")
    func ridgeProjector() throws {
        var rng = TrainingRNG(seed: 11)
        let n = 40, d = TinyHDRec.sasrecWidth, c = TinyHDRec.width
        let x = (0 ..< n * d).map { _ in Float(rng.uniform(-1, 1)) }
        let r = (0 ..< c * d).map { _ in Float(rng.uniform(-1, 1)) }
        let y = (0 ..< n).flatMap { i in (0 ..< c).map { j in (0 ..< d).reduce(Float(0.25)) { $0 + r[j * d + $1] * x[i * d + $1] } } }
        let fit = try ProjectorRidgeMap.fit(x: x, y: y, rows: n, input: d, output: c, ridge: 1e-9)
        for i in 0 ..< c * d { #expect(abs(fit.map[i] - r[i]) < 1e-3) }
        for i in 0 ..< c { #expect(abs(fit.intercept[i] - 0.25) < 1e-3) }
        var config = TinyHDRec.config()
        config.projectorHidden = 10
        let p = try HDRecParameters(config: config, base: try TinyHDRec.base(Float.self, seed: 12), itemCount: TinyHDRec.items, seed: 13)
        try fit.apply(to: p, hidden: 10, input: d, output: c)
        let out = Tensor<Float>(count: n * c), saved = Tensor<Float>(count: n * 10)
        let weights = ProjectorWeights(w1: UnsafePointer(try p.parameter(.projector(.inWeight))), b1: UnsafePointer(try p.parameter(.projector(.inBias))),
                                       w2: UnsafePointer(try p.parameter(.projector(.outWeight))), b2: UnsafePointer(try p.parameter(.projector(.outBias))))
        x.withUnsafeBufferPointer { xb in
            TrainableProjector.forward(out: out.pointer, saved: saved.pointer, input: xb.baseAddress!, weights: weights,
                                       shape: ProjectorShape(rows: n, input: d, hidden: 10, output: c))
        }
        for i in 0 ..< n * c { #expect(abs(out[i] - y[i]) < 1e-3) }
        #expect(throws: HDRecTrainingError.self) { try fit.apply(to: p, hidden: 7, input: d, output: c) }
    }
}
