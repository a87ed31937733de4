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
//
// Generic over the scalar: the trainer runs HDRecNetwork<Float>; the gradient check of the whole
// network (Tests/TrainingTests/HDRecNetworkGradientTests.swift) runs the same code in Double.
// Parameters are read through typed keys (HDRecParameterKey) whose offsets HDRecParameters
// resolved once.
import Foundation
import HDRecInference
import TrainingOps

public final class HDRecNetwork<T: TrainScalar> {
    public let base: FrozenBase<T>
    public let config: HDRecNetworkConfig
    /// [I + 1, 128] frozen SASRec table, row 0 padding, row i + 1 item i.
    public let sasrec: [T]
    public let itemCount: Int
    public let seqToken: Int32, alignToken: Int32
    /// The factorized IPL's frozen item table E (I, K) = [SASRec rows | item-text embeddings].
    public var itemTable: Tensor<T>?
    /// Text prompts' inputs to the lowest LoRA layer (a cut network only).
    public var activationCache: ActivationCache?

    public init(base: FrozenBase<T>, config: HDRecNetworkConfig, sasrec: [T], itemCount: Int,
                seqToken: Int32, alignToken: Int32) throws {
        guard sasrec.count == (itemCount + 1) * config.sasrecWidth else {
            throw HDRecTrainingError.sasrecMismatch(file: "sasrec table", expectedRows: itemCount + 1,
                                                    foundRows: sasrec.count / max(1, config.sasrecWidth))
        }
        self.base = base; self.config = config; self.sasrec = sasrec; self.itemCount = itemCount
        self.seqToken = seqToken; self.alignToken = alignToken
        TrainingAllocator.retainFreedMemory()   // every step reuses the last one's activation memory
    }

    private func blockWeights(_ l: Int, _ p: HDRecParameters<T>) throws -> LlamaBlockWeights<T> {
        let f = base.layers[l]
        let attn = config.trainNorms ? UnsafePointer(try p.parameter(.norm(.attention(layer: l)))) : f.attnNorm.const
        let ffn = config.trainNorms ? UnsafePointer(try p.parameter(.norm(.ffn(layer: l)))) : f.ffnNorm.const
        return f.blockWeights(attnNorm: attn, ffnNorm: ffn)
    }

    private func adapter(_ l: Int, _ branch: AdapterRole, _ p: HDRecParameters<T>, _ b: LlamaBlockConfig) throws -> LlamaBlockAdapter<T> {
        var byTarget: [LoRATargets: LoRAWeights<T>] = [:]
        for (t, _) in targetOrder where b.targets.contains(t) {
            byTarget[t] = LoRAWeights(a: UnsafePointer(try p.parameter(.lora(branch, layer: l, llamaTarget(t), .a))),
                                      b: UnsafePointer(try p.parameter(.lora(branch, layer: l, llamaTarget(t), .b))))
        }
        return LlamaBlockAdapter(byTarget)
    }

    private func factorizedWeights(_ p: HDRecParameters<T>) throws -> FactorizedIPLWeights<T> {
        guard let table = itemTable else {
            throw HDRecTrainingError.invalidConfiguration(field: "ipl", reason: "the factorized IPL needs its item table (HeadInitializer)")
        }
        return FactorizedIPLWeights(projection: UnsafePointer(try p.parameter(.ipl(.projection))),
                                    projectionBias: UnsafePointer(try p.parameter(.ipl(.projectionBias))),
                                    itemBias: UnsafePointer(try p.parameter(.ipl(.itemBias))), items: table.const)
    }

    private var factorizedShapeWidth: Int { HDRecParameters<T>.itemTableWidth(config, modelWidth: base.config.width) }

    /// SASRec's scores s·E_sasᵀ for anchor states s (N, D): the ID pass at step 0. (N, I)
    func anchorScores(_ anchors: [T], rows n: Int) -> Tensor<T> {
        let d = config.sasrecWidth
        let out = Tensor<T>(count: n * itemCount)
        anchors.withUnsafeBufferPointer { a in
            sasrec.withUnsafeBufferPointer { e in
                Linear.forward(out: out.pointer, input: a.baseAddress!, weight: e.baseAddress! + d, bias: nil,
                               m: n, n: itemCount, k: d)
            }
        }
        return out
    }

    private func iplWeights(_ p: HDRecParameters<T>) throws -> IPLWeights<T> {
        IPLWeights(w1: UnsafePointer(try p.parameter(.ipl(.inWeight))), b1: UnsafePointer(try p.parameter(.ipl(.inBias))),
                   w2: UnsafePointer(try p.parameter(.ipl(.outWeight))))
    }

    private func projectorWeights(_ p: HDRecParameters<T>) throws -> ProjectorWeights<T> {
        ProjectorWeights(w1: UnsafePointer(try p.parameter(.projector(.inWeight))), b1: UnsafePointer(try p.parameter(.projector(.inBias))),
                         w2: UnsafePointer(try p.parameter(.projector(.outWeight))), b2: UnsafePointer(try p.parameter(.projector(.outBias))))
    }

    /// Runs one branch over `prompts`; with `training`, LoRA and IPL dropout are on (seeded by `seed`).
    /// `supervisedOnlyLast` keeps only each prompt's read position (inference and validation).
    /// `anchors` (N, D): SASRec's state at each supervised row, required for an anchored ID pass.
    /// `sampleKeys`: each prompt's global sample key (TrainingSampleKey), which with the token's
    /// position keys its dropout masks (DropoutRowKeys.swift); nil: the prompt's index here.
    public func forward(_ prompts: [PromptSequence], branch: AdapterRole, parameters p: HDRecParameters<T>,
                        training: Bool, seed: UInt64, supervisedOnlyLast: Bool = false,
                        anchors: [T]? = nil, sampleKeys: [UInt64]? = nil) throws -> BranchForward<T> {
        let c = base.config.width
        let lengths = prompts.map(\.count)
        let batch = try SequenceBatch.leftPadded(lengths: lengths)
        let t = batch.paddedLength, m = batch.tokenCount
        let positions = batch.positions()
        let samples = sampleKeys ?? prompts.indices.map { UInt64($0) }
        guard samples.count == prompts.count else {
            throw HDRecTrainingError.invalidBatch(reason: "\(prompts.count) prompts but \(samples.count) sample keys")
        }
        let tokenKeys = training ? DropoutRowKeys.tokenRows(batch: batch, samples: samples) : nil
        var iplKeys: [UInt64] = []

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
                iplKeys.append(DropoutRowKeys.key(sample: samples[s], position: sup.position))
            }
            rowsPerSequence.append(supervised.count)
        }

        // A cut text branch starts at the cut when every prompt's rows there are cached.
        let cut = branch == .text && config.isCut ? config.firstLoRALayer : 0
        let cache = cut > 0 ? activationCache : nil
        let cached = cache.map { cache in prompts.allSatisfy { cache.contains($0.tokens) } } ?? false
        var x = Tensor<T>(count: m * c)
        var slotInputs: Tensor<T>? = nil, projectorSaved: Tensor<T>? = nil
        if cached, let cache {
            for (s, prompt) in prompts.enumerated() {
                _ = cache.load(prompt.tokens, into: x.pointer + (s * t + batch.starts[s]) * c)
                cache.count(hit: true)
            }
        } else {
            try Embedding.forward(out: x.pointer, table: base.tokenEmbedding.const, ids: ids, m: m, c: c, vocabulary: base.config.vocabSize)
            let seqParam = try p.parameter(.token(.seq)), alignParam = try p.parameter(.token(.align))
            for r in seqRows { (x.pointer + Int(r) * c).update(from: seqParam, count: c) }
            for r in alignRows { (x.pointer + Int(r) * c).update(from: alignParam, count: c) }
            if !slotRows.isEmpty {
                let w = config.sasrecWidth, j = slotRows.count
                let inputs = Tensor<T>(count: j * w)
                for (k, item) in slotItems.enumerated() {
                    guard item >= 0, item < itemCount else {
                        throw HDRecTrainingError.invalidConfiguration(field: "item", reason: "index \(item) outside 0..<\(itemCount)")
                    }
                    for d in 0 ..< w { inputs.pointer[k * w + d] = sasrec[(item + 1) * w + d] }
                }
                let saved = Tensor<T>(count: j * config.projectorHidden)
                let e = Tensor<T>(count: j * c)
                TrainableProjector.forward(out: e.pointer, saved: saved.pointer, input: inputs.const, weights: try projectorWeights(p),
                                           shape: ProjectorShape(rows: j, input: w, hidden: config.projectorHidden, output: c))
                try Embedding.inject(out: x.pointer, rows: e.const, positions: slotRows, j: j, c: c, m: m)
                slotInputs = inputs; projectorSaved = saved
            }
        }

        var acts: [LlamaBlockActivations<T>] = []
        for l in (cached ? cut : 0) ..< config.layers {
            if l == cut, cut > 0, !cached, let cache {
                for (s, prompt) in prompts.enumerated() {
                    cache.store(prompt.tokens, from: x.const + (s * t + batch.starts[s]) * c)
                    cache.count(hit: false)
                }
            }
            var blockConfig = base.withRoPE(try config.blockConfig(base.config, training: training, layer: l))
            blockConfig.dropoutRowKeys = tokenKeys
            let saved = LlamaBlockActivations<T>(config: blockConfig, rows: m)  // also the forward's scratch
            let out = Tensor<T>(unfilled: m * c) // LlamaBlock.forward writes every row
            let weights = try blockWeights(l, p), lora = try adapter(l, branch, p, blockConfig)
            LlamaBlock.forward(out: out.pointer, saved: saved, input: x.const, weights: weights,
                               adapter: lora, batch: batch, positions: positions,
                               config: blockConfig, seed: TrainingRNG.derive(seed, UInt64(l), 1))
            if l >= cut { acts.append(saved) }
            x = out
        }
        let normWeight = config.trainNorms ? UnsafePointer(try p.parameter(.norm(.output))) : base.outputNorm.const
        let rstd = Tensor<T>(count: m), normed = Tensor<T>(count: m * c)
        RMSNorm.forward(out: normed.pointer, rstd: rstd.pointer, input: x.const, weight: normWeight, m: m, c: c,
                        eps: Double(base.config.rmsEpsilon))
        let n = gatherRows.count
        let hidden = Tensor<T>(count: n * c)
        for (k, r) in gatherRows.enumerated() { (hidden.pointer + k * c).update(from: normed.pointer + r * c, count: c) }
        var logits = Tensor<T>(count: n * itemCount)
        let iplSaved: Tensor<T>
        if config.factorized {
            iplSaved = Tensor<T>(count: n * factorizedShapeWidth)
            FactorizedIPL.forward(logits: logits.pointer, saved: iplSaved.pointer, input: hidden.const, weights: try factorizedWeights(p),
                                  shape: FactorizedIPLShape(rows: n, dim: c, width: factorizedShapeWidth, items: itemCount))
        } else {
            iplSaved = Tensor<T>(count: n * config.iplHidden)
            TrainableIPL.forward(logits: logits.pointer, saved: iplSaved.pointer, input: hidden.const, weights: try iplWeights(p),
                                 shape: IPLShape(rows: n, dim: c, hidden: config.iplHidden, items: itemCount,
                                                 dropout: training ? config.iplDropout : 0, rowKeys: training ? iplKeys : nil),
                                 seed: TrainingRNG.derive(seed, 1000, 2))
        }
        var residual: Tensor<T>? = nil
        if branch == .id && config.anchored {
            guard let anchors, anchors.count == n * config.sasrecWidth else {
                throw HDRecTrainingError.invalidConfiguration(field: "anchors",
                    reason: "the anchored ID pass needs SASRec's state for each of its \(n) rows (\(n * config.sasrecWidth) floats), found \(anchors?.count ?? 0)")
            }
            let out = anchorScores(anchors, rows: n)
            AnchoredResidual.forward(out: out.pointer, anchor: out.const, residual: logits.const,
                                     gate: try p.parameter(.idGate)[0], count: n * itemCount)
            residual = logits
            logits = out
        }
        let result = BranchForward(branch: branch, batch: batch, training: training, seed: seed, logits: logits, targets: targets,
                             rowsPerSequence: rowsPerSequence, gatherRows: gatherRows, positions: positions, blockInputs: acts,
                             last: x, lastRstd: rstd, hidden: hidden, iplSaved: iplSaved, seqRows: seqRows,
                             alignRows: alignRows, slotRows: slotRows, slotInputs: slotInputs, projectorSaved: projectorSaved)
        result.residual = residual
        result.tokenDropoutKeys = tokenKeys
        result.iplDropoutKeys = training ? iplKeys : nil
        result.lowestLayer = branch == .text ? config.firstLoRALayer : 0
        return result
    }

    /// Accumulates the gradients of Σ dLogits ⊙ logits into `p.store.gradients`.
    public func backward(_ f: BranchForward<T>, dLogits: UnsafePointer<T>, parameters p: HDRecParameters<T>) throws {
        let c = base.config.width, m = f.batch.tokenCount, n = f.rowCount
        // Anchored ID pass: out = anchor + γ·z, so dz = γ·dOut and dγ = Σ dOut ⊙ z.
        var dIPL = dLogits
        var dResidual: Tensor<T>? = nil
        if let residual = f.residual {
            let d = Tensor<T>(count: n * itemCount)
            AnchoredResidual.backward(dResidual: d.pointer, dGate: try p.gradient(.idGate), dOut: dLogits,
                                      residual: residual.const, gate: try p.parameter(.idGate)[0], count: n * itemCount)
            dResidual = d
            dIPL = d.const
        }
        // IPL
        let dHidden = Tensor<T>(count: n * c)
        if config.factorized {
            FactorizedIPL.backward(dInput: dHidden.pointer,
                                   gradients: FactorizedIPLGradients(projection: try p.gradient(.ipl(.projection)),
                                                                     projectionBias: try p.gradient(.ipl(.projectionBias)),
                                                                     itemBias: try p.gradient(.ipl(.itemBias))),
                                   dLogits: dIPL, input: f.hidden.const, weights: try factorizedWeights(p),
                                   shape: FactorizedIPLShape(rows: n, dim: c, width: factorizedShapeWidth, items: itemCount))
        } else {
        TrainableIPL.backward(dInput: dHidden.pointer,
                              gradients: IPLGradients(w1: try p.gradient(.ipl(.inWeight)), b1: try p.gradient(.ipl(.inBias)),
                                                      w2: try p.gradient(.ipl(.outWeight))),
                              dLogits: dIPL, input: f.hidden.const, saved: f.iplSaved.const, weights: try iplWeights(p),
                              shape: IPLShape(rows: n, dim: c, hidden: config.iplHidden, items: itemCount,
                                              dropout: f.training ? config.iplDropout : 0, rowKeys: f.iplDropoutKeys),
                              seed: TrainingRNG.derive(f.seed, 1000, 2))
        }
        withExtendedLifetime(dResidual) {}
        // Final norm
        let dNormed = Tensor<T>(count: m * c)
        for (k, r) in f.gatherRows.enumerated() {
            let dst = dNormed.pointer + r * c, src = dHidden.pointer + k * c
            for j in 0 ..< c { dst[j] += src[j] }
        }
        let normWeight = config.trainNorms ? UnsafePointer(try p.parameter(.norm(.output))) : base.outputNorm.const
        var dx = Tensor<T>(count: m * c)
        RMSNorm.backward(dInput: dx.pointer, dWeight: config.trainNorms ? try p.gradient(.norm(.output)) : nil,
                         dOut: dNormed.const, input: f.last.const, weight: normWeight, rstd: f.lastRstd.const, m: m, c: c)
        // Blocks, last to first
        for l in stride(from: config.layers - 1, through: f.lowestLayer, by: -1) {
            var blockConfig = base.withRoPE(try config.blockConfig(base.config, training: f.training, layer: l))
            blockConfig.dropoutRowKeys = f.tokenDropoutKeys
            var grads: [LoRATargets: LoRAGradients<T>] = [:]
            for (t, _) in targetOrder where blockConfig.targets.contains(t) {
                grads[t] = LoRAGradients(a: try p.gradient(.lora(f.branch, layer: l, llamaTarget(t), .a)),
                                         b: try p.gradient(.lora(f.branch, layer: l, llamaTarget(t), .b)))
            }
            let g = LlamaBlockGradients(attnNorm: config.trainNorms ? try p.gradient(.norm(.attention(layer: l))) : nil,
                                        ffnNorm: config.trainNorms ? try p.gradient(.norm(.ffn(layer: l))) : nil,
                                        byTarget: grads)
            let dInput = Tensor<T>(count: m * c)
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
            let dSeq = try p.gradient(.token(.seq)), dAlign = try p.gradient(.token(.align))
            for r in f.seqRows { let src = dx.pointer + Int(r) * c; for j in 0 ..< c { dSeq[j] += src[j] } }
            for r in f.alignRows { let src = dx.pointer + Int(r) * c; for j in 0 ..< c { dAlign[j] += src[j] } }
        }
        if let inputs = f.slotInputs, let saved = f.projectorSaved {
            let j = f.slotRows.count
            let dE = Tensor<T>(count: j * c)
            Embedding.injectBackward(dRows: dE.pointer, dOut: dx.const, positions: f.slotRows, j: j, c: c)
            TrainableProjector.backward(dInput: nil,
                                        gradients: ProjectorGradients(w1: try p.gradient(.projector(.inWeight)), b1: try p.gradient(.projector(.inBias)),
                                                                      w2: try p.gradient(.projector(.outWeight)), b2: try p.gradient(.projector(.outBias))),
                                        dOut: dE.const, input: inputs.const, saved: saved.const, weights: try projectorWeights(p),
                                        shape: ProjectorShape(rows: j, input: config.sasrecWidth, hidden: config.projectorHidden, output: c))
        }
    }
}
