// Dual-LoRA alternating training (paper Algorithm 1) with KL alignment (Eqs. 9-12).
//
// Per batch, with T alternations (default 2, which unrolls as the public code does):
//   z̃_text = text forward (dropout on, no gradient)                       the first teacher
//   t = 1: ID phase    L_id   = CE(ẑ_id)   + λ · KL(z̃_text ‖ ẑ_id)    → step lora.id + projector + shared
//   t = 2: text phase  L_text = CE(ẑ_text) + λ · KL(z̃_id ‖ ẑ_text)    → step lora.text + shared
// Teachers are detached; the gradient flows through the student (Eq. 12, not line 18's
// detached reading). Each phase's AdamW step touches only its groups, so the other
// adapter is bit-identical after it. "shared" = IPL, [SEQ]/[ALIGN] rows, trained norms.
//
// A batch mixes user samples (tasks 2 and 3) with item-alignment samples (task 1, text
// adapter only; with `idAlignment` also the public code's ID alignment for the ID
// adapter), as the public code's ConcatDataset does. Each branch's prompts are ordered
// users first, then items, so the two branches' rows agree on a common prefix: the
// KL term pairs exactly those rows (an item-text alignment row has no ID counterpart
// unless `idAlignment` is on) and averages them over their own sequences.
//
// Micro-shards and data-parallel (docs/scaling.md): a step takes the micro-shards of the global
// batch that this rank computes (all of them in one process) and the global batch's counts
// (GlobalLossCounts.swift), which weight every row's loss. Every phase runs on every rank when
// the GLOBAL batch has prompts for it (a rank with none still joins the all-reduce with zero
// gradients); each micro-shard learns from its own teacher rows, the micro-shards' gradients are
// summed in Double before clipping and AdamW (GradientSync.swift), and the reported losses are
// the global ones.
import Distributed
import Foundation
import HDRecInference
import RecSys
import TrainingOps

public struct StepLosses: Sendable, Codable {
    public var step: Int
    public var textCE: Double?
    public var idCE: Double?
    public var textKL: Double?
    public var idKL: Double?
    public var tokens: Int
}

/// One optimisation step's samples: users (tasks 2 and 3) and items (task 1).
public struct TrainingBatch: Sendable {
    public var users: [UserPrompts]
    /// Each user's history (the items before the label), for SASRec's anchor states.
    public var userHistories: [[Int]] = []
    /// Task 1 prompts for the text adapter.
    public var textAlignments: [PromptSequence]
    /// The public code's ID alignment prompts (empty unless `idAlignment`).
    public var idAlignments: [PromptSequence]
    /// Each user's and each item's global sample key (TrainingSampleKey), which keys their dropout
    /// masks; empty: keyed by the prompt's index in the batch.
    public var userKeys: [UInt64] = []
    public var itemKeys: [UInt64] = []

    public init(users: [UserPrompts], textAlignments: [PromptSequence] = [], idAlignments: [PromptSequence] = []) {
        self.users = users; self.textAlignments = textAlignments; self.idAlignments = idAlignments
    }

    /// The text branch's prompts: users first, then items.
    public var textPrompts: [PromptSequence] { users.map(\.text) + textAlignments }
    /// The ID branch's prompts: users first, then items.
    public var idPrompts: [PromptSequence] { users.map(\.id) + idAlignments }
    public var isEmpty: Bool { users.isEmpty && textAlignments.isEmpty && idAlignments.isEmpty }

    /// The text prompts' sample keys (nil when the batch has none).
    public var textSampleKeys: [UInt64]? {
        userKeys.count == users.count && itemKeys.count == textAlignments.count ? userKeys + itemKeys : nil
    }
    /// The ID prompts' sample keys (nil when the batch has none). Items have ID prompts only
    /// with the ID alignment task (`idAlignment`).
    public var idSampleKeys: [UInt64]? {
        guard userKeys.count == users.count else { return nil }
        if idAlignments.isEmpty { return userKeys }
        return itemKeys.count == idAlignments.count ? userKeys + itemKeys : nil
    }
}

/// One sample of an epoch's shuffled order.
public enum TrainingSample: Sendable, Equatable {
    case user(Int)
    case item(Int)
}

/// A teacher's detached logits and how many of its leading sequences a student shares.
private typealias Teacher = BranchTeacher<Float>

public final class DLATrainer {
    public let network: HDRecNetwork<Float>
    public let parameters: HDRecParameters<Float>
    public let prompts: PromptBuilder
    public let options: TrainingOptions
    public let optimizer: AdamW
    public var schedule: CosineSchedule
    /// SASRec's user states for an anchored ID pass.
    public var anchors: SASRecAnchors?
    public private(set) var step = 0
    public let totalSteps: Int
    /// The ranks of a data-parallel run (a single process by default).
    public var communicator: any Communicator {
        get { sync.communicator }
        set { sync = GradientSync(store: parameters.store, communicator: newValue) }
    }
    private var sync: GradientSync

    public init(network: HDRecNetwork<Float>, parameters: HDRecParameters<Float>, prompts: PromptBuilder, options: TrainingOptions,
                totalSteps: Int) {
        self.network = network; self.parameters = parameters; self.prompts = prompts; self.options = options
        self.totalSteps = max(1, totalSteps)
        sync = GradientSync(store: parameters.store, communicator: SingleProcessCommunicator())
        optimizer = AdamW(weightDecay: options.weightDecay)
        schedule = CosineSchedule(baseLearningRate: options.learningRate,
                                  warmupSteps: max(1, Int(Double(totalSteps) * options.warmupFraction)),
                                  totalSteps: max(1, totalSteps))
    }

    public func restore(step: Int) { self.step = step }

    /// The training sample of a user: the train prefix without its last item as history,
    /// that item as the label of the last [SEQ] (docs/public-code.md §2.4).
    public func trainingPrompts(users: [Int], dataset: Dataset) throws -> [UserPrompts] {
        try users.compactMap { u in
            let train = Array(dataset.train(u))
            guard train.count >= 2 else { return nil }
            return try prompts.userPrompts(history: Array(train.dropLast()), label: train.last!)
        }
    }

    /// The samples of one batch: user prompts, and the alignment prompts of its items.
    public func trainingBatch(_ samples: [TrainingSample], dataset: Dataset) throws -> TrainingBatch {
        let users = samples.compactMap { if case .user(let u) = $0 { u } else { nil } }
        var batch = TrainingBatch(users: try trainingPrompts(users: users, dataset: dataset))
        let kept = users.filter { dataset.train($0).count >= 2 }
        batch.userHistories = kept.map { Array(dataset.train($0).dropLast()) }
        batch.userKeys = kept.map(TrainingSampleKey.user)
        for case .item(let i) in samples {
            batch.textAlignments.append(try prompts.alignmentPrompt(item: i))
            if options.idAlignment { batch.idAlignments.append(try prompts.idAlignmentPrompt(item: i)) }
            batch.itemKeys.append(TrainingSampleKey.item(i))
        }
        return batch
    }

    /// CE (+ λ·KL against a detached teacher) of one branch forward; fills dLogits (N, I).
    private func loss(_ f: BranchForward<Float>, teacher: Teacher?, dLogits: Tensor<Float>,
                      global: GlobalLossCounts) throws -> (ce: Double, kl: Double?) {
        var loss = BranchLoss(average: options.lossAverage, usesKL: options.klWeight > 0,
                              klWeight: options.klWeight(step: step, totalSteps: totalSteps),
                              klTemperature: options.klTemperature, step: step)
        loss.globalCounts = (global.ce(f.branch), global.shared)
        return try loss.evaluate(f, teacher: teacher, itemCount: network.itemCount, dLogits: dLogits)
    }

    private func groups(_ branch: AdapterRole) -> Set<String> {
        branch == .text ? ["lora.text", "shared"] : ["lora.id", "projector", "shared"]
    }

    /// The phase's optimiser step, once its micro-shards' gradients are summed (GradientSync).
    private func update(groups selected: Set<String>) throws {
        let store = parameters.store
        try sync.finish()
        let lr = schedule.learningRate(step: step)
        _ = GradientClipping.clipGlobalNorm(store, maxNorm: options.clipNorm, where: { selected.contains($0.group) })
        let heads: Set<String> = ["shared", "projector"]
        let multiplier = options.headLearningRateMultiplier ?? 1
        optimizer.step(store, learningRate: lr, where: { selected.contains($0.group) && !heads.contains($0.group) })
        optimizer.step(store, learningRate: lr * multiplier, where: { selected.contains($0.group) && heads.contains($0.group) })
        store.zeroGradients()
    }

    private func check(_ value: Double, _ phase: String) throws {
        guard value.isFinite else { throw HDRecTrainingError.nonFiniteLoss(step: step, phase: phase) }
    }

    /// The anchored ID pass's SASRec states for a batch's ID rows: each user's supervised
    /// positions, then zeros for the ID-alignment rows (which have no history). nil when the
    /// pass is not anchored.
    func anchorStates(_ batch: TrainingBatch) throws -> [Float]? {
        guard network.config.anchored, !batch.idPrompts.isEmpty else { return nil }
        guard let anchors else {
            throw HDRecTrainingError.invalidConfiguration(field: "anchors", reason: "the anchored ID pass needs the SASRec model (TrainingContext.anchors)")
        }
        guard batch.userHistories.count == batch.users.count else {
            throw HDRecTrainingError.invalidBatch(reason: "\(batch.users.count) user prompts but \(batch.userHistories.count) histories")
        }
        var states = try anchors.states(histories: batch.userHistories, rows: batch.users.map { $0.id.supervision.count })
        let alignmentRows = batch.idAlignments.reduce(0) { $0 + $1.supervision.count }
        states.append(contentsOf: [Float](repeating: 0, count: alignmentRows * anchors.width))
        return states
    }

    /// One optimisation step over a batch of users' prompts (no alignment samples).
    public func trainStep(_ users: [UserPrompts]) throws -> StepLosses {
        try trainStep(TrainingBatch(users: users))
    }

    /// Throws DistributedError.parameterDrift unless every rank holds bit-identical parameters
    /// (a collective; nothing to check in a single process).
    public func verifyIdenticalParameters() throws {
        try sync.verifyIdenticalParameters(step: step)
    }

    /// One optimisation step over a mixed batch, as one micro-shard. Data-parallel: `batch` is
    /// this rank's shard and `global` the whole global batch's counts (required when the
    /// communicator has several ranks).
    public func trainStep(_ batch: TrainingBatch, global: GlobalLossCounts? = nil) throws -> StepLosses {
        if sync.isDistributed, global == nil {
            throw HDRecTrainingError.invalidBatch(reason: "a data-parallel step needs the global batch's counts")
        }
        return try trainStep(microShards: [batch], global: global ?? GlobalLossCounts(batch))
    }

    /// One optimisation step over the micro-shards this rank computes of a global batch whose
    /// counts are `global` (docs/scaling.md): each phase runs forward and backward one micro-shard
    /// at a time and sums their gradients (GradientSync), so that the step is the same whichever
    /// rank computes which micro-shard.
    public func trainStep(microShards shards: [TrainingBatch], global: GlobalLossCounts) throws -> StepLosses {
        let seed = TrainingRNG.derive(options.seed, UInt64(step), 7)
        var result = StepLosses(step: step, tokens: 0)
        parameters.store.zeroGradients()
        func prompts(_ shard: TrainingBatch, _ branch: AdapterRole) -> [PromptSequence] {
            branch == .text ? shard.textPrompts : shard.idPrompts
        }
        func sampleKeys(_ shard: TrainingBatch, _ branch: AdapterRole) -> [UInt64]? {
            branch == .text ? shard.textSampleKeys : shard.idSampleKeys
        }
        /// Whether the phase of `branch` runs: the global batch has prompts for it (so every rank agrees).
        func runs(_ branch: AdapterRole) -> Bool { global.ce(branch).sequences > 0 }
        let idAnchors = try shards.map(anchorStates)
        func forward(_ k: Int, _ branch: AdapterRole, phase: UInt64) throws -> BranchForward<Float> {
            let f = try network.forward(prompts(shards[k], branch), branch: branch, parameters: parameters, training: true,
                                        seed: TrainingRNG.derive(seed, phase), anchors: branch == .id ? idAnchors[k] : nil,
                                        sampleKeys: sampleKeys(shards[k], branch))
            result.tokens += f.tokenCount
            return f
        }
        /// Each micro-shard's detached logits of `branch` (nil where it has no prompts for it).
        func teacherForward(_ branch: AdapterRole, phase: UInt64) throws -> [Teacher?] {
            try shards.indices.map { k in
                guard !prompts(shards[k], branch).isEmpty else { return nil }
                let f = try forward(k, branch, phase: phase)
                return Teacher(logits: f.logits, rowsPerSequence: f.rowsPerSequence)
            }
        }
        /// Forward, loss and backward of `branch` over every micro-shard, each learning from its own
        /// teacher; the gradients are folded into the phase begun by the caller. Records the losses
        /// and returns the micro-shards' logits (the next phase's teachers).
        func run(_ branch: AdapterRole, teachers: [Teacher?], phase: UInt64) throws -> [Teacher?] {
            var ce = 0.0, kl: Double? = nil
            let students = try shards.indices.map { k -> Teacher? in
                guard !prompts(shards[k], branch).isEmpty else { return nil }
                let f = try forward(k, branch, phase: phase)
                let d = Tensor<Float>(count: f.rowCount * network.itemCount)
                let (c, l) = try loss(f, teacher: teachers[k], dLogits: d, global: global)
                try check(c + (l ?? 0), branch.rawValue)
                try network.backward(f, dLogits: d.const, parameters: parameters)
                try sync.fold()
                ce += c
                if let l { kl = (kl ?? 0) + l }
                return Teacher(logits: f.logits, rowsPerSequence: f.rowsPerSequence)  // detached: a plain copy
            }
            if branch == .id { result.idCE = ce; result.idKL = kl } else { result.textCE = ce; result.textKL = kl }
            return students
        }
        let none = [Teacher?](repeating: nil, count: shards.count)
        switch options.ablation {
        case .textOnly, .idOnly:
            let branch: AdapterRole = options.ablation == .textOnly ? .text : .id
            if runs(branch) {
                try sync.begin(groups: groups(branch))
                _ = try run(branch, teachers: none, phase: 1)
                try update(groups: groups(branch))
            }
        case .noDLA:
            // Joint: both branches' losses summed, KL each way against the detached other, one step.
            let teacherText = try teacherForward(.text, phase: 1)
            let teacherID = try teacherForward(.id, phase: 2)
            let both = groups(.text).union(groups(.id))
            try sync.begin(groups: both)
            if runs(.text) { _ = try run(.text, teachers: teacherID, phase: 1) }
            if runs(.id) { _ = try run(.id, teachers: teacherText, phase: 2) }
            try update(groups: both)
        case .none, .noKL:
            let useKL = options.ablation == .none
            var teachers = try teacherForward(.text, phase: 0)
            for t in 0 ..< max(1, options.alternations) {
                let branch: AdapterRole = t % 2 == 0 ? .id : .text
                // A batch of items only, without ID alignment, has no ID phase, so the text phase
                // that follows has no teacher from the other branch.
                guard runs(branch) else { teachers = none; continue }
                let learnsFromTeacher = useKL && (branch == .text || options.idPhaseKL != false)
                try sync.begin(groups: groups(branch))
                teachers = try run(branch, teachers: learnsFromTeacher ? teachers : none, phase: UInt64(t + 1))
                try update(groups: groups(branch))
            }
        }
        try sync.allReduce(&result, klRanOn: (text: result.textKL != nil, id: result.idKL != nil))
        step += 1
        return result
    }

    /// The trained network in eval mode as a source of both passes (validation, final evaluation).
    public var passScorer: TrainedPassScorer {
        TrainedPassScorer(network: network, parameters: parameters, prompts: prompts, anchors: anchors)
    }

    /// Both passes' logits at the last [SEQ] for each user's history of `split`, in eval mode: [B][I] each.
    public func passScores(users: [Int], dataset: Dataset, split: Split) throws -> (text: [[Float]], id: [[Float]]) {
        let s = try passScorer.passScores(histories: users.map { Array(dataset.history($0, for: split)) })
        return (s.text, s.id)
    }
}
