// DLA (Algorithm 1) on a tiny real decoder (stories260K, 2 layers): phase isolation,
// learning, and seeded reproducibility.
import Foundation
import ModelFiles
import HDRecInference
import Testing
import Tokenizer
@testable import Training
import TrainingOps

private func fixture() throws -> (HDRecNetwork<Float>, PromptBuilder, FrozenBase<Float>) {
    let (gguf, prompts) = try StoriesPromptFixture.load()
    let base = try FrozenBase<Float>(gguf: gguf, layers: 2)
    var config = HDRecNetworkConfig(layers: 2, projectorHidden: 16, iplHidden: 16)
    config.sasrecWidth = 8
    config.iplDropout = 0.1
    var rng = TrainingRNG(seed: 9)
    let sasrec = (0 ..< 7 * 8).map { _ in Float(rng.uniform(-1, 1)) }
    let network = try HDRecNetwork(base: base, config: config, sasrec: sasrec, itemCount: 6,
                                   seqToken: prompts.seqToken, alignToken: prompts.alignToken)
    return (network, prompts, base)
}

private func trainer(_ ablation: Ablation, seed: UInt64 = 1, idAlignment: Bool = false) throws -> (DLATrainer, [UserPrompts]) {
    let (network, prompts, base) = try fixture()
    let parameters = try HDRecParameters(config: network.config, base: base, itemCount: 6, seed: seed)
    var options = TrainingOptions.cpu
    options.ablation = ablation
    options.idAlignment = idAlignment
    options.learningRate = 3e-3
    options.warmupFraction = 0
    if ablation == .noKL { options.klWeight = 0 }
    let t = DLATrainer(network: network, parameters: parameters, prompts: prompts, options: options, totalSteps: 100)
    let batch = try [[0, 1, 2, 3], [2, 3, 4], [5, 1, 0, 2, 4]].map { try prompts.userPrompts(history: Array($0.dropLast()), label: $0.last!) }
    return (t, batch)
}

private func checksum(_ p: HDRecParameters<Float>, group: String) -> Double {
    p.store.sum(of: p.store.parameters, where: { $0.group == group })
}

@Test("An ID-only step changes the ID adapter and projector but leaves the text adapter bit-identical")
func idPhaseIsolation() throws {
    let (t, batch) = try trainer(.idOnly)
    let text = checksum(t.parameters, group: "lora.text"), id = checksum(t.parameters, group: "lora.id")
    let projector = checksum(t.parameters, group: "projector")
    // Two steps: the linear warm-up gives lr = 0 at step 0 (as transformers' scheduler does).
    _ = try t.trainStep(batch)
    _ = try t.trainStep(batch)
    #expect(checksum(t.parameters, group: "lora.text") == text)
    #expect(checksum(t.parameters, group: "lora.id") != id)
    #expect(checksum(t.parameters, group: "projector") != projector)
}

@Test("A text-only step leaves the ID adapter and the projector bit-identical")
func textPhaseIsolation() throws {
    let (t, batch) = try trainer(.textOnly)
    let id = checksum(t.parameters, group: "lora.id"), projector = checksum(t.parameters, group: "projector")
    let text = checksum(t.parameters, group: "lora.text")
    _ = try t.trainStep(batch)
    let losses = try t.trainStep(batch)
    #expect(losses.idCE == nil && losses.textCE != nil)
    #expect(checksum(t.parameters, group: "lora.id") == id)
    #expect(checksum(t.parameters, group: "projector") == projector)
    #expect(checksum(t.parameters, group: "lora.text") != text)
}

@Test("DLA with KL lowers both branches' cross-entropy on a batch it trains on")
func dlaLearns() throws {
    let (t, batch) = try trainer(.none)
    let first = try t.trainStep(batch)
    #expect(first.textKL != nil && first.idKL != nil)
    var last = first
    for _ in 0 ..< 25 { last = try t.trainStep(batch) }
    #expect(last.textCE! < first.textCE! - 0.2)
    #expect(last.idCE! < first.idCE! - 0.2)
}

@Test("The no-kl ablation computes no KL term; joint training (no-dla) computes both")
func ablationLosses() throws {
    let (noKL, batch) = try trainer(.noKL)
    let a = try noKL.trainStep(batch)
    #expect(a.textKL == nil && a.idKL == nil)
    let (joint, batch2) = try trainer(.noDLA)
    let b = try joint.trainStep(batch2)
    #expect(b.textKL != nil && b.idKL != nil && b.textCE != nil && b.idCE != nil)
}

@Test("Training is reproducible: the same seed gives bit-identical losses")
func reproducible() throws {
    let (a, batch) = try trainer(.none, seed: 5)
    let (b, _) = try trainer(.none, seed: 5)
    for _ in 0 ..< 3 {
        let la = try a.trainStep(batch), lb = try b.trainStep(batch)
        #expect(la.textCE == lb.textCE && la.idCE == lb.idCE && la.textKL == lb.textKL)
    }
}

@Test("Eval-mode pass scores equal the network's logits at the last [SEQ] and are deterministic")
func passScoresDeterministic() throws {
    let (t, _) = try trainer(.none)
    let prompts = try t.prompts.userPrompts(history: [0, 1, 2])
    let f1 = try t.network.forward([prompts.text], branch: .text, parameters: t.parameters, training: false, seed: 1, supervisedOnlyLast: true)
    let f2 = try t.network.forward([prompts.text], branch: .text, parameters: t.parameters, training: false, seed: 2, supervisedOnlyLast: true)
    #expect(f1.logits.array == f2.logits.array)
    #expect(f1.rowCount == 1)
}

@Test("An item-alignment-only batch (task 1) trains the text adapter and leaves the ID adapter and projector bit-identical")
func alignmentOnlyBatch() throws {
    let (t, _) = try trainer(.none)
    let batch = TrainingBatch(users: [], textAlignments: try [0, 3, 5].map { try t.prompts.alignmentPrompt(item: $0) })
    let id = checksum(t.parameters, group: "lora.id"), projector = checksum(t.parameters, group: "projector")
    let text = checksum(t.parameters, group: "lora.text")
    let first = try t.trainStep(batch)
    var last = first
    for _ in 0 ..< 25 { last = try t.trainStep(batch) }
    #expect(first.idCE == nil && first.textKL == nil, "no ID rows: no ID phase and nothing to align the text rows with")
    #expect(checksum(t.parameters, group: "lora.id") == id)
    #expect(checksum(t.parameters, group: "projector") == projector)
    #expect(checksum(t.parameters, group: "lora.text") != text)
    #expect(last.textCE! < first.textCE! - 0.2, "the [ALIGN] rows learn their items")
}

@Test("With --id-alignment the ID adapter trains on item-only batches too, and the KL pairs the [ALIGN] rows")
func idAlignmentBatch() throws {
    let (t, _) = try trainer(.none, idAlignment: true)
    let batch = TrainingBatch(users: [], textAlignments: try [0, 4].map { try t.prompts.alignmentPrompt(item: $0) },
                              idAlignments: try [0, 4].map { try t.prompts.idAlignmentPrompt(item: $0) })
    let id = checksum(t.parameters, group: "lora.id")
    _ = try t.trainStep(batch)
    let losses = try t.trainStep(batch)
    #expect(losses.idCE != nil && losses.idKL != nil && losses.textKL != nil)
    #expect(checksum(t.parameters, group: "lora.id") != id)
}

@Test("A mixed batch pairs only the users' rows in the KL term, and every ablation trains on it")
func mixedBatchAllAblations() throws {
    for ablation in Ablation.allCases {
        let (t, users) = try trainer(ablation)
        let batch = TrainingBatch(users: users, textAlignments: try [1, 2].map { try t.prompts.alignmentPrompt(item: $0) })
        let losses = try t.trainStep(batch)
        let values = [losses.textCE, losses.idCE, losses.textKL, losses.idKL].compactMap { $0 }
        #expect(!values.isEmpty && values.allSatisfy(\.isFinite), "\(ablation)")
        if ablation == .none || ablation == .noDLA { #expect(losses.textKL != nil && losses.idKL != nil, "\(ablation)") }
    }
}
