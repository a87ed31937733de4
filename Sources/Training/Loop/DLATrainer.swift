// Dual-LoRA alternating training (paper Algorithm 1) with KL alignment (Eqs. 9-12).
//
// Per batch, with T alternations (default 2, which unrolls as the public code does):
//   z̃_text = text forward (dropout on, no gradient)                       the first teacher
//   t = 1: ID phase    L_id   = CE(ẑ_id)   + λ · KL(z̃_text ‖ ẑ_id)    → step lora.id + projector + shared
//   t = 2: text phase  L_text = CE(ẑ_text) + λ · KL(z̃_id ‖ ẑ_text)    → step lora.text + shared
// Teachers are detached; the gradient flows through the student (Eq. 12, not line 18's
// detached reading). Each phase's AdamW step touches only its groups, so the other
// adapter is bit-identical after it. "shared" = IPL, [SEQ]/[ALIGN] rows, trained norms.
import Foundation
import Recommender
import RecSys

public struct StepLosses: Sendable, Codable {
    public var step: Int
    public var textCE: Double?
    public var idCE: Double?
    public var textKL: Double?
    public var idKL: Double?
    public var tokens: Int
}

public final class DLATrainer {
    public let network: HDRecNetwork
    public let parameters: HDRecParameters
    public let prompts: PromptBuilder
    public let options: TrainingOptions
    public let optimizer: AdamW
    public var schedule: CosineSchedule
    public private(set) var step = 0

    public init(network: HDRecNetwork, parameters: HDRecParameters, prompts: PromptBuilder, options: TrainingOptions,
                totalSteps: Int) {
        self.network = network; self.parameters = parameters; self.prompts = prompts; self.options = options
        optimizer = AdamW(weightDecay: options.weightDecay)
        schedule = CosineSchedule(baseLearningRate: options.learningRate,
                                  warmupSteps: max(1, Int(Double(totalSteps) * options.warmupFraction)),
                                  totalSteps: max(1, totalSteps))
    }

    public func restore(step: Int) { self.step = step }

    /// The training sample of a user: the train prefix without its last item as history,
    /// that item as the label of the last [SEQ] (reference-implementation.md §2.4).
    public func trainingPrompts(users: [Int], dataset: Dataset) throws -> [UserPrompts] {
        try users.compactMap { u in
            let train = Array(dataset.train(u))
            guard train.count >= 2 else { return nil }
            return try prompts.userPrompts(history: Array(train.dropLast()), label: train.last!)
        }
    }

    private func rowWeights(_ f: BranchForward) -> [Float] {
        switch options.lossAverage {
        case .users: return RowWeights.perGroupMean(groupSizes: f.rowsPerSequence)
        case .positions: return RowWeights.batchMean(rows: f.rowCount)
        }
    }

    /// CE (+ λ·KL against a detached teacher) of one branch forward; fills dLogits (N, I).
    private func loss(_ f: BranchForward, teacher: Tensor<Float>?, dLogits: Tensor<Float>) throws -> (ce: Double, kl: Double?) {
        let n = f.rowCount, v = network.itemCount
        let weights = rowWeights(f)
        let lse = Tensor<Float>(count: n)
        let ce = try f.targets.withUnsafeBufferPointer { t in
            try weights.withUnsafeBufferPointer { w in
                let value = try SoftmaxCrossEntropy.forward(losses: nil, lse: lse.pointer, logits: f.logits.const,
                                                            targets: t.baseAddress!, weights: w.baseAddress!, n: n, v: v)
                SoftmaxCrossEntropy.backward(dLogits: dLogits.pointer, logits: f.logits.const, lse: lse.const,
                                             targets: t.baseAddress!, weights: w.baseAddress!, dLoss: 1, n: n, v: v)
                return value
            }
        }
        guard let teacher, options.klWeight > 0 else { return (ce, nil) }
        let lseT = Tensor<Float>(count: n), lseS = Tensor<Float>(count: n)
        let kl = weights.withUnsafeBufferPointer { w -> Double in
            let value = KLDivergence.forward(lseTeacher: lseT.pointer, lseStudent: lseS.pointer, teacher: teacher.const,
                                             student: f.logits.const, weights: w.baseAddress!, n: n, v: v,
                                             temperature: options.klTemperature)
            KLDivergence.backward(dStudent: dLogits.pointer, teacher: teacher.const, student: f.logits.const,
                                  lseTeacher: lseT.const, lseStudent: lseS.const, weights: w.baseAddress!,
                                  dLoss: Float(options.klWeight), n: n, v: v, temperature: options.klTemperature)
            return value
        }
        return (ce, kl)
    }

    private func groups(_ branch: Branch) -> Set<String> {
        branch == .text ? ["lora.text", "shared"] : ["lora.id", "projector", "shared"]
    }

    private func update(groups selected: Set<String>) {
        let store = parameters.store
        let lr = schedule.learningRate(step: step)
        _ = GradientClipping.clipGlobalNorm(store, maxNorm: options.clipNorm, where: { selected.contains($0.group) })
        optimizer.step(store, learningRate: lr, where: { selected.contains($0.group) })
        store.zeroGradients()
    }

    private func check(_ value: Double, _ phase: String) throws {
        guard value.isFinite else { throw HDRecTrainingError.nonFiniteLoss(step: step, phase: phase) }
    }

    /// One optimisation step over a batch of users' prompts.
    public func trainStep(_ batch: [UserPrompts]) throws -> StepLosses {
        let texts = batch.map(\.text), ids = batch.map(\.id)
        let seed = TrainingRNG.derive(options.seed, UInt64(step), 7)
        var result = StepLosses(step: step, tokens: 0)
        parameters.store.zeroGradients()
        func run(_ branch: Branch, teacher: Tensor<Float>?, phase: UInt64) throws -> (BranchForward, Double, Double?) {
            let f = try network.forward(branch == .text ? texts : ids, branch: branch, parameters: parameters,
                                        training: true, seed: TrainingRNG.derive(seed, phase))
            let d = Tensor<Float>(count: f.rowCount * network.itemCount)
            let (ce, kl) = try loss(f, teacher: teacher, dLogits: d)
            try check(ce + (kl ?? 0), branch.rawValue)
            try network.backward(f, dLogits: d.const, parameters: parameters)
            result.tokens += f.tokenCount
            return (f, ce, kl)
        }
        switch options.ablation {
        case .textOnly:
            let (_, ce, _) = try run(.text, teacher: nil, phase: 1)
            result.textCE = ce
            update(groups: groups(.text))
        case .idOnly:
            let (_, ce, _) = try run(.id, teacher: nil, phase: 1)
            result.idCE = ce
            update(groups: groups(.id))
        case .noDLA:
            // Joint: both branches' losses summed, KL each way against the detached other, one step.
            let teacherText = try network.forward(texts, branch: .text, parameters: parameters, training: true,
                                                  seed: TrainingRNG.derive(seed, 1))
            let teacherID = try network.forward(ids, branch: .id, parameters: parameters, training: true,
                                                seed: TrainingRNG.derive(seed, 2))
            let (_, ceT, klT) = try run(.text, teacher: teacherID.logits, phase: 1)
            let (_, ceI, klI) = try run(.id, teacher: teacherText.logits, phase: 2)
            result.textCE = ceT; result.textKL = klT; result.idCE = ceI; result.idKL = klI
            update(groups: groups(.text).union(groups(.id)))
        case .none, .noKL:
            let useKL = options.ablation == .none
            var teacher = try network.forward(texts, branch: .text, parameters: parameters, training: true,
                                              seed: TrainingRNG.derive(seed, 0)).logits
            result.tokens += texts.reduce(0) { $0 + $1.count }
            for t in 0 ..< max(1, options.alternations) {
                let branch: Branch = t % 2 == 0 ? .id : .text
                let (f, ce, kl) = try run(branch, teacher: useKL ? teacher : nil, phase: UInt64(t + 1))
                if branch == .id { result.idCE = ce; result.idKL = kl } else { result.textCE = ce; result.textKL = kl }
                update(groups: groups(branch))
                teacher = f.logits   // detached: a plain copy of this phase's student logits
            }
        }
        step += 1
        return result
    }

    /// The trained network in eval mode as a source of both passes (validation, final evaluation).
    public var passScorer: TrainedPassScorer { TrainedPassScorer(network: network, parameters: parameters, prompts: prompts) }

    /// Both passes' logits at the last [SEQ] for each user's history of `split`, in eval mode: [B][I] each.
    public func passScores(users: [Int], dataset: Dataset, split: Split) throws -> (text: [[Float]], id: [[Float]]) {
        let s = try passScorer.passScores(histories: users.map { Array(dataset.history($0, for: split)) })
        return (s.text, s.id)
    }
}
