// The differentiable HDRec network over the frozen decoder (paper §3.2-3.4):
//
//   x0 = embed(tokens)  with  [SEQ]/[ALIGN] → trainable rows,  ⟨ID(i)⟩ → Proj(SASRec[i + 1])   (M, C)
//   x_{l+1} = LlamaBlock_l(x_l; branch's LoRA)          l < L                                   (M, C)
//   h = RMSNorm(x_L) · output_norm;  z = IPL(h at the supervised [SEQ]/[ALIGN] positions)      (N, I)
//
// A batch holds several prompts of one branch, left-padded to the longest (M = B · T rows);
// positions restart at 0 in each prompt (no BOS), so padding never shifts RoPE.
// Backward accumulates into the parameter store's gradients: the branch's own LoRA,
// the projector (ID branch), the IPL, the added-token rows and, if trained, the norms.
import Foundation
import Recommender
import TrainingOps

/// Everything one branch forward keeps for its backward.
public final class BranchForward {
    public let branch: AdapterRole
    public let batch: SequenceBatch
    public let training: Bool
    public let seed: UInt64
    /// (N, I) IPL logits at the supervised positions, sequence after sequence.
    public let logits: Tensor<Float>
    /// (N) target item of each logit row.
    public let targets: [Int32]
    /// Supervised rows per sequence (for per-user loss averaging).
    public let rowsPerSequence: [Int]
    /// Row (in M) of each logit row.
    let gatherRows: [Int]
    let positions: [Int32]
    let blockInputs: [LlamaBlockActivations<Float>]
    /// (M, C) last block output, (M) its rstd, (M, C) final-norm output
    let last: Tensor<Float>, lastRstd: Tensor<Float>
    /// (N, C) gathered hidden states, (N, Hi) IPL pre-activations
    let hidden: Tensor<Float>, iplSaved: Tensor<Float>
    /// [SEQ]/[ALIGN] rows injected at these rows
    let seqRows: [Int32], alignRows: [Int32]
    /// ID branch: item slot rows, their SASRec inputs (J, 128) and projector pre-activations (J, Hp)
    let slotRows: [Int32], slotInputs: Tensor<Float>?, projectorSaved: Tensor<Float>?
    /// Anchored ID pass: the IPL's residual logits before the gate (N, I).
    var residual: Tensor<Float>? = nil
    /// The lowest layer whose input gradient is needed (0, or the cut for a cut text branch).
    var lowestLayer = 0

    init(branch: AdapterRole, batch: SequenceBatch, training: Bool, seed: UInt64, logits: Tensor<Float>, targets: [Int32],
         rowsPerSequence: [Int], gatherRows: [Int], positions: [Int32], blockInputs: [LlamaBlockActivations<Float>],
         last: Tensor<Float>, lastRstd: Tensor<Float>, hidden: Tensor<Float>, iplSaved: Tensor<Float>,
         seqRows: [Int32], alignRows: [Int32], slotRows: [Int32], slotInputs: Tensor<Float>?, projectorSaved: Tensor<Float>?) {
        self.branch = branch; self.batch = batch; self.training = training; self.seed = seed
        self.logits = logits; self.targets = targets; self.rowsPerSequence = rowsPerSequence
        self.gatherRows = gatherRows; self.positions = positions; self.blockInputs = blockInputs
        self.last = last; self.lastRstd = lastRstd; self.hidden = hidden; self.iplSaved = iplSaved
        self.seqRows = seqRows; self.alignRows = alignRows; self.slotRows = slotRows
        self.slotInputs = slotInputs; self.projectorSaved = projectorSaved
    }

    public var rowCount: Int { targets.count }
    public var tokenCount: Int { batch.lengths.reduce(0, +) }
}

public final class HDRecNetwork {
    public let base: FrozenBase
    public let config: HDRecNetworkConfig
    /// [I + 1, 128] frozen SASRec table, row 0 padding, row i + 1 item i.
    public let sasrec: [Float]
    public let itemCount: Int
    public let seqToken: Int32, alignToken: Int32
    /// The factorized IPL's frozen item table E (I, K) = [SASRec rows | item-text embeddings].
    public var itemTable: Tensor<Float>?
    /// Text prompts' inputs to the lowest LoRA layer (a cut network only).
    public var activationCache: ActivationCache?

    public init(base: FrozenBase, config: HDRecNetworkConfig, sasrec: [Float], itemCount: Int,
                seqToken: Int32, alignToken: Int32) throws {
        guard sasrec.count == (itemCount + 1) * config.sasrecWidth else {
            throw HDRecTrainingError.sasrecMismatch(file: "sasrec table", expectedRows: itemCount + 1,
                                                    foundRows: sasrec.count / max(1, config.sasrecWidth))
        }
        self.base = base; self.config = config; self.sasrec = sasrec; self.itemCount = itemCount
        self.seqToken = seqToken; self.alignToken = alignToken
        TrainingAllocator.retainFreedMemory()   // every step reuses the last one's activation memory
    }

    private func blockWeights(_ l: Int, _ p: HDRecParameters) throws -> LlamaBlockWeights<Float> {
        let f = base.layers[l]
        let attn = config.trainNorms ? UnsafePointer(try p.store.parameter("norms.\(l).attn")) : f.attnNorm.const
        let ffn = config.trainNorms ? UnsafePointer(try p.store.parameter("norms.\(l).ffn")) : f.ffnNorm.const
        return f.blockWeights(attnNorm: attn, ffnNorm: ffn)
    }

    private func adapter(_ l: Int, _ branch: AdapterRole, _ p: HDRecParameters, _ b: LlamaBlockConfig) throws -> LlamaBlockAdapter<Float> {
        var byTarget: [LoRATargets: LoRAWeights<Float>] = [:]
        for (t, name) in targetOrder where b.targets.contains(t) {
            byTarget[t] = LoRAWeights(a: UnsafePointer(try p.store.parameter(HDRecParameters.loraName(branch, l, name, "a"))),
                                      b: UnsafePointer(try p.store.parameter(HDRecParameters.loraName(branch, l, name, "b"))))
        }
        return LlamaBlockAdapter(byTarget)
    }

    private func factorizedWeights(_ p: HDRecParameters) throws -> FactorizedIPLWeights<Float> {
        guard let table = itemTable else {
            throw HDRecTrainingError.invalidConfiguration(field: "ipl", reason: "the factorized IPL needs its item table (HeadInitializer)")
        }
        return FactorizedIPLWeights(projection: UnsafePointer(try p.store.parameter("ipl.proj.w")),
                                    projectionBias: UnsafePointer(try p.store.parameter("ipl.proj.b")),
                                    itemBias: UnsafePointer(try p.store.parameter("ipl.bias")), items: table.const)
    }

    private var factorizedShapeWidth: Int { HDRecParameters.itemTableWidth(config, modelWidth: base.config.width) }

    /// SASRec's scores s·E_sasᵀ for anchor states s (N, D): the ID pass at step 0. (N, I)
    func anchorScores(_ anchors: [Float], rows n: Int) -> Tensor<Float> {
        let d = config.sasrecWidth
        let out = Tensor<Float>(count: n * itemCount)
        anchors.withUnsafeBufferPointer { a in
            sasrec.withUnsafeBufferPointer { e in
                Linear.forward(out: out.pointer, input: a.baseAddress!, weight: e.baseAddress! + d, bias: nil,
                               m: n, n: itemCount, k: d)
            }
        }
        return out
    }

    private func iplWeights(_ p: HDRecParameters) throws -> IPLWeights<Float> {
        IPLWeights(w1: UnsafePointer(try p.store.parameter("ipl.w1")), b1: UnsafePointer(try p.store.parameter("ipl.b1")),
                   w2: UnsafePointer(try p.store.parameter("ipl.w2")))
    }

    private func projectorWeights(_ p: HDRecParameters) throws -> ProjectorWeights<Float> {
        ProjectorWeights(w1: UnsafePointer(try p.store.parameter("projector.w1")), b1: UnsafePointer(try p.store.parameter("projector.b1")),
                         w2: UnsafePointer(try p.store.parameter("projector.w2")), b2: UnsafePointer(try p.store.parameter("projector.b2")))
    }

    /// Runs one branch over `prompts`; with `training`, LoRA and IPL dropout are on (seeded by `seed`).
    /// `supervisedOnlyLast` keeps only each prompt's read position (inference and validation).
    /// `anchors` (N, D): SASRec's state at each supervised row, required for an anchored ID pass.
    public func forward(_ prompts: [PromptSequence], branch: AdapterRole, parameters p: HDRecParameters,
                        training: Bool, seed: UInt64, supervisedOnlyLast: Bool = false,
                        anchors: [Float]? = nil) throws -> BranchForward {
        let c = base.config.width
        let lengths = prompts.map(\.count)
        let batch = try SequenceBatch.leftPadded(lengths: lengths)
        let t = batch.paddedLength, m = batch.tokenCount
        let positions = batch.positions()

        // Token ids per row (-1: padding or an injected row), injections, supervision.
        var ids = [Int32](repeating: -1, count: m)
        var seqRows: [Int32] = [], alignRows: [Int32] = [], slotRows: [Int32] = [], slotItems: [Int] = []
        var gatherRows: [Int] = [], targets: [Int32] = [], rowsPerSequence: [Int] = []
        for (s, prompt) in prompts.enumerated() {
            let first = s * t + batch.starts[s]
            var slotAt: [Int: Int] = [:]
            for slot in prompt.itemSlots { slotAt[slot.position] = slot.item }
            for (j, token) in prompt.tokens.enumerated() {
                let row = first + j
                if let item = slotAt[j] {
                    guard branch == .id else {
                        throw HDRecTrainingError.invalidConfiguration(field: "prompt", reason: "item slots appear only in ID prompts")
                    }
                    slotRows.append(Int32(row)); slotItems.append(item)
                } else if token == seqToken { seqRows.append(Int32(row)) }
                else if token == alignToken { alignRows.append(Int32(row)) }
                else { ids[row] = token }
            }
            let supervised = supervisedOnlyLast ? [Supervision(position: prompt.readPosition, target: 0)] : prompt.supervision
            for sup in supervised {
                gatherRows.append(first + sup.position)
                targets.append(Int32(sup.target))
            }
            rowsPerSequence.append(supervised.count)
        }

        // A cut text branch starts at the cut when every prompt's rows there are cached.
        let cut = branch == .text && config.isCut ? config.firstLoRALayer : 0
        let cache = cut > 0 ? activationCache : nil
        let cached = cache.map { cache in prompts.allSatisfy { cache.contains($0.tokens) } } ?? false
        var x = Tensor<Float>(count: m * c)
        var slotInputs: Tensor<Float>? = nil, projectorSaved: Tensor<Float>? = nil
        if cached, let cache {
            for (s, prompt) in prompts.enumerated() {
                _ = cache.load(prompt.tokens, into: x.pointer + (s * t + batch.starts[s]) * c)
                cache.count(hit: true)
            }
        } else {
            try Embedding.forward(out: x.pointer, table: base.tokenEmbedding.const, ids: ids, m: m, c: c, vocabulary: base.config.vocabSize)
            let seqParam = try p.store.parameter("tokens.seq"), alignParam = try p.store.parameter("tokens.align")
            for r in seqRows { (x.pointer + Int(r) * c).update(from: seqParam, count: c) }
            for r in alignRows { (x.pointer + Int(r) * c).update(from: alignParam, count: c) }
            if !slotRows.isEmpty {
                let w = config.sasrecWidth, j = slotRows.count
                let inputs = Tensor<Float>(count: j * w)
                for (k, item) in slotItems.enumerated() {
                    guard item >= 0, item < itemCount else {
                        throw HDRecTrainingError.invalidConfiguration(field: "item", reason: "index \(item) outside 0..<\(itemCount)")
                    }
                    for d in 0 ..< w { inputs.pointer[k * w + d] = sasrec[(item + 1) * w + d] }
                }
                let saved = Tensor<Float>(count: j * config.projectorHidden)
                let e = Tensor<Float>(count: j * c)
                TrainableProjector.forward(out: e.pointer, saved: saved.pointer, input: inputs.const, weights: try projectorWeights(p),
                                           shape: ProjectorShape(rows: j, input: w, hidden: config.projectorHidden, output: c))
                try Embedding.inject(out: x.pointer, rows: e.const, positions: slotRows, j: j, c: c, m: m)
                slotInputs = inputs; projectorSaved = saved
            }
        }

        var acts: [LlamaBlockActivations<Float>] = []
        for l in (cached ? cut : 0) ..< config.layers {
            if l == cut, cut > 0, !cached, let cache {
                for (s, prompt) in prompts.enumerated() {
                    cache.store(prompt.tokens, from: x.const + (s * t + batch.starts[s]) * c)
                    cache.count(hit: false)
                }
            }
            let blockConfig = base.withRoPE(try config.blockConfig(base.config, training: training, layer: l))
            let saved = LlamaBlockActivations<Float>(config: blockConfig, rows: m)  // also the forward's scratch
            let out = Tensor<Float>(unfilled: m * c) // LlamaBlock.forward writes every row
            let weights = try blockWeights(l, p), lora = try adapter(l, branch, p, blockConfig)
            LlamaBlock.forward(out: out.pointer, saved: saved, input: x.const, weights: weights,
                               adapter: lora, batch: batch, positions: positions,
                               config: blockConfig, seed: TrainingRNG.derive(seed, UInt64(l), 1))
            if l >= cut { acts.append(saved) }
            x = out
        }
        let normWeight = config.trainNorms ? UnsafePointer(try p.store.parameter("norms.output")) : base.outputNorm.const
        let rstd = Tensor<Float>(count: m), normed = Tensor<Float>(count: m * c)
        RMSNorm.forward(out: normed.pointer, rstd: rstd.pointer, input: x.const, weight: normWeight, m: m, c: c,
                        eps: Double(base.config.rmsEpsilon))
        let n = gatherRows.count
        let hidden = Tensor<Float>(count: n * c)
        for (k, r) in gatherRows.enumerated() { (hidden.pointer + k * c).update(from: normed.pointer + r * c, count: c) }
        var logits = Tensor<Float>(count: n * itemCount)
        let iplSaved: Tensor<Float>
        if config.factorized {
            iplSaved = Tensor<Float>(count: n * factorizedShapeWidth)
            FactorizedIPL.forward(logits: logits.pointer, saved: iplSaved.pointer, input: hidden.const, weights: try factorizedWeights(p),
                                  shape: FactorizedIPLShape(rows: n, dim: c, width: factorizedShapeWidth, items: itemCount))
        } else {
            iplSaved = Tensor<Float>(count: n * config.iplHidden)
            TrainableIPL.forward(logits: logits.pointer, saved: iplSaved.pointer, input: hidden.const, weights: try iplWeights(p),
                                 shape: IPLShape(rows: n, dim: c, hidden: config.iplHidden, items: itemCount,
                                                 dropout: training ? config.iplDropout : 0),
                                 seed: TrainingRNG.derive(seed, 1000, 2))
        }
        var residual: Tensor<Float>? = nil
        if branch == .id && config.anchored {
            guard let anchors, anchors.count == n * config.sasrecWidth else {
                throw HDRecTrainingError.invalidConfiguration(field: "anchors",
                    reason: "the anchored ID pass needs SASRec's state for each of its \(n) rows (\(n * config.sasrecWidth) floats), found \(anchors?.count ?? 0)")
            }
            let out = anchorScores(anchors, rows: n)
            AnchoredResidual.forward(out: out.pointer, anchor: out.const, residual: logits.const,
                                     gate: try p.store.parameter("id.gate")[0], count: n * itemCount)
            residual = logits
            logits = out
        }
        let result = BranchForward(branch: branch, batch: batch, training: training, seed: seed, logits: logits, targets: targets,
                             rowsPerSequence: rowsPerSequence, gatherRows: gatherRows, positions: positions, blockInputs: acts,
                             last: x, lastRstd: rstd, hidden: hidden, iplSaved: iplSaved, seqRows: seqRows,
                             alignRows: alignRows, slotRows: slotRows, slotInputs: slotInputs, projectorSaved: projectorSaved)
        result.residual = residual
        result.lowestLayer = branch == .text ? config.firstLoRALayer : 0
        return result
    }

    /// Accumulates the gradients of Σ dLogits ⊙ logits into `p.store.gradients`.
    public func backward(_ f: BranchForward, dLogits: UnsafePointer<Float>, parameters p: HDRecParameters) throws {
        let c = base.config.width, m = f.batch.tokenCount, n = f.rowCount
        let store = p.store
        // Anchored ID pass: out = anchor + γ·z, so dz = γ·dOut and dγ = Σ dOut ⊙ z.
        var dIPL = dLogits
        var dResidual: Tensor<Float>? = nil
        if let residual = f.residual {
            let d = Tensor<Float>(count: n * itemCount)
            AnchoredResidual.backward(dResidual: d.pointer, dGate: try store.gradient("id.gate"), dOut: dLogits,
                                      residual: residual.const, gate: try store.parameter("id.gate")[0], count: n * itemCount)
            dResidual = d
            dIPL = d.const
        }
        // IPL
        let dHidden = Tensor<Float>(count: n * c)
        if config.factorized {
            FactorizedIPL.backward(dInput: dHidden.pointer,
                                   gradients: FactorizedIPLGradients(projection: try store.gradient("ipl.proj.w"),
                                                                     projectionBias: try store.gradient("ipl.proj.b"),
                                                                     itemBias: try store.gradient("ipl.bias")),
                                   dLogits: dIPL, input: f.hidden.const, weights: try factorizedWeights(p),
                                   shape: FactorizedIPLShape(rows: n, dim: c, width: factorizedShapeWidth, items: itemCount))
        } else {
        TrainableIPL.backward(dInput: dHidden.pointer,
                              gradients: IPLGradients(w1: try store.gradient("ipl.w1"), b1: try store.gradient("ipl.b1"),
                                                      w2: try store.gradient("ipl.w2")),
                              dLogits: dIPL, input: f.hidden.const, saved: f.iplSaved.const, weights: try iplWeights(p),
                              shape: IPLShape(rows: n, dim: c, hidden: config.iplHidden, items: itemCount,
                                              dropout: f.training ? config.iplDropout : 0),
                              seed: TrainingRNG.derive(f.seed, 1000, 2))
        }
        withExtendedLifetime(dResidual) {}
        // Final norm
        let dNormed = Tensor<Float>(count: m * c)
        for (k, r) in f.gatherRows.enumerated() {
            let dst = dNormed.pointer + r * c, src = dHidden.pointer + k * c
            for j in 0 ..< c { dst[j] += src[j] }
        }
        let normWeight = config.trainNorms ? UnsafePointer(try store.parameter("norms.output")) : base.outputNorm.const
        var dx = Tensor<Float>(count: m * c)
        RMSNorm.backward(dInput: dx.pointer, dWeight: config.trainNorms ? try store.gradient("norms.output") : nil,
                         dOut: dNormed.const, input: f.last.const, weight: normWeight, rstd: f.lastRstd.const, m: m, c: c)
        // Blocks, last to first
        for l in stride(from: config.layers - 1, through: f.lowestLayer, by: -1) {
            let blockConfig = base.withRoPE(try config.blockConfig(base.config, training: f.training, layer: l))
            var grads: [LoRATargets: LoRAGradients<Float>] = [:]
            for (t, name) in targetOrder where blockConfig.targets.contains(t) {
                grads[t] = LoRAGradients(a: try store.gradient(HDRecParameters.loraName(f.branch, l, name, "a")),
                                         b: try store.gradient(HDRecParameters.loraName(f.branch, l, name, "b")))
            }
            let g = LlamaBlockGradients(attnNorm: config.trainNorms ? try store.gradient("norms.\(l).attn") : nil,
                                        ffnNorm: config.trainNorms ? try store.gradient("norms.\(l).ffn") : nil,
                                        byTarget: grads)
            let dInput = Tensor<Float>(count: m * c)
            let weights = try blockWeights(l, p), lora = try adapter(l, f.branch, p, blockConfig)
            f.positions.withUnsafeBufferPointer { pos in
                LlamaBlock.backward(dInput: dInput.pointer, gradients: g, dOut: dx.const, saved: f.blockInputs[l - f.lowestLayer],
                                    weights: weights, adapter: lora,
                                    batch: f.batch, positions: pos.baseAddress!, config: blockConfig,
                                    seed: TrainingRNG.derive(f.seed, UInt64(l), 1))
            }
            dx = dInput
        }
        guard f.lowestLayer == 0 else { return }   // a cut text branch: nothing trainable below
        // Added-token rows (frozen in a cut network: the cached activations below the cut hold them) and the projector
        if !config.isCut {
            let dSeq = try store.gradient("tokens.seq"), dAlign = try store.gradient("tokens.align")
            for r in f.seqRows { let src = dx.pointer + Int(r) * c; for j in 0 ..< c { dSeq[j] += src[j] } }
            for r in f.alignRows { let src = dx.pointer + Int(r) * c; for j in 0 ..< c { dAlign[j] += src[j] } }
        }
        if let inputs = f.slotInputs, let saved = f.projectorSaved {
            let j = f.slotRows.count
            let dE = Tensor<Float>(count: j * c)
            Embedding.injectBackward(dRows: dE.pointer, dOut: dx.const, positions: f.slotRows, j: j, c: c)
            TrainableProjector.backward(dInput: nil,
                                        gradients: ProjectorGradients(w1: try store.gradient("projector.w1"), b1: try store.gradient("projector.b1"),
                                                                      w2: try store.gradient("projector.w2"), b2: try store.gradient("projector.b2")),
                                        dOut: dE.const, input: inputs.const, saved: saved.const, weights: try projectorWeights(p),
                                        shape: ProjectorShape(rows: j, input: config.sasrecWidth, hidden: config.projectorHidden, output: c))
        }
    }
}
