// What the heads start from (docs/training.md "Recipes and the shipped configuration"), computed from the frozen base, the SASRec
// table and the training data before the first step:
//   - the factorized IPL's item table E = [E_sas | E_text]: SASRec's item rows, and each
//     item's text through the frozen base (the first L layers and the output norm),
//     mean-pooled over its tokens, centred over the catalog and scaled to unit rows;
//   - κ, the text block's identity scale, so that the text pass's logits start with a
//     standard deviation of about 1 across items for a training read position;
//   - the log-popularity prior of the item bias;
//   - the projector's ridge map from SASRec rows to the items' mean token embeddings.
// All deterministic: a resumed run recomputes the same frozen values.
import Foundation
import HDRecInference
import RecSys
import TrainingOps

public struct HeadStart {
    /// E (I, K), K = D + C.
    public var itemTable: [Float]
    public var initialization: HeadInitialization
}

public enum HeadInitializer {
    /// Runs the frozen base (no LoRA) over `sequences` and returns, per sequence, the mean of
    /// its rows after the output norm (`pool` nil: (B, C)) or its rows at `pool[b]`, sequence
    /// after sequence ((Σ |pool[b]|, C)). Ids ≥ `addedFrom` take `addedRow` (the `[SEQ]`/`[ALIGN]`
    /// rows as initialised).
    static func frozenStates(base: FrozenBase<Float>, sequences: [[Int32]], addedRow: [Float], addedFrom: Int32,
                             pool: [[Int]]? = nil, batchSize: Int = 32) throws -> [Float] {
        let c = base.config.width
        var offsets = [0]
        for b in 0 ..< sequences.count { offsets.append(offsets[b] + (pool?[b].count ?? 1)) }
        var out = [Float](repeating: 0, count: offsets.last! * c)
        let blockConfig = base.withRoPE(LlamaBlockConfig(dim: c, ffnDim: base.config.ffnWidth, heads: base.config.headCount,
                                           kvHeads: base.config.kvHeadCount, headDim: base.config.headDim,
                                           rmsEps: Double(base.config.rmsEpsilon), ropeBase: Double(base.config.ropeFreqBase),
                                           loraRank: 1, loraAlpha: 1, loraDropout: 0, targets: []))
        for start in stride(from: 0, to: sequences.count, by: batchSize) {
            let chunk = Array(sequences[start ..< min(sequences.count, start + batchSize)])
            let batch = try SequenceBatch.leftPadded(lengths: chunk.map(\.count))
            let t = batch.paddedLength, m = batch.tokenCount
            var ids = [Int32](repeating: -1, count: m)
            var added: [Int] = []
            for (s, seq) in chunk.enumerated() {
                for (j, token) in seq.enumerated() {
                    let row = s * t + batch.starts[s] + j
                    if token >= addedFrom { added.append(row) } else { ids[row] = token }
                }
            }
            var x = Tensor<Float>(count: m * c)
            try Embedding.forward(out: x.pointer, table: base.tokenEmbedding.const, ids: ids, m: m, c: c, vocabulary: base.config.vocabSize)
            for r in added { (x.pointer + r * c).update(from: addedRow, count: c) }
            let positions = batch.positions()
            for l in 0 ..< base.layers.count {
                let f = base.layers[l]
                let saved = LlamaBlockActivations<Float>(config: blockConfig, rows: m)
                let y = Tensor<Float>(unfilled: m * c)
                LlamaBlock.forward(out: y.pointer, saved: saved, input: x.const,
                                   weights: f.blockWeights(),
                                   adapter: LlamaBlockAdapter(), batch: batch, positions: positions, config: blockConfig, seed: 0)
                x = y
            }
            let rstd = Tensor<Float>(count: m), normed = Tensor<Float>(count: m * c)
            RMSNorm.forward(out: normed.pointer, rstd: rstd.pointer, input: x.const, weight: base.outputNorm.const, m: m, c: c,
                            eps: Double(base.config.rmsEpsilon))
            for (s, seq) in chunk.enumerated() {
                let first = s * t + batch.starts[s]
                let dst = offsets[start + s] * c
                if let pool {
                    for (k, r) in pool[start + s].enumerated() {
                        for j in 0 ..< c { out[dst + k * c + j] = normed[(first + r) * c + j] }
                    }
                } else {
                    let scale = 1 / Float(max(1, seq.count))
                    for r in 0 ..< seq.count { for j in 0 ..< c { out[dst + j] += normed[(first + r) * c + j] * scale } }
                }
            }
        }
        return out
    }

    /// The linear probe of SASRec's user state from the frozen read state: over the supervised
    /// positions of `users`' training prompts, the ridge map M (D, C) and intercept with
    /// s ≈ M·h + c, where h is the frozen base's state at the `[SEQ]` after item k and s SASRec's
    /// state after the same item. Written into the SASRec block of Wp, it makes the text pass
    /// start as SASRec read off the decoder's view of the item text (lever (a)).
    static func sasrecProbe(base: FrozenBase<Float>, prompts: PromptBuilder, dataset: Dataset, users: [Int],
                            anchors: SASRecAnchors, seqRow: [Float]) throws -> SASRecProbe {
        var histories: [[Int]] = [], built: [PromptSequence] = []
        for u in users {
            let train = Array(dataset.train(u))
            guard train.count >= 2 else { continue }
            let history = Array(train.dropLast())
            histories.append(history)
            built.append(try prompts.userPrompts(history: history, label: train.last!).text)
        }
        let rows = built.map(\.supervision.count)
        let h = try frozenStates(base: base, sequences: built.map(\.tokens), addedRow: seqRow, addedFrom: prompts.seqToken,
                                 pool: built.map { $0.supervision.map(\.position) })
        let s = try anchors.states(histories: histories, rows: rows)
        let n = rows.reduce(0, +), c = base.config.width, d = anchors.width
        let fit = try ProjectorRidgeMap.fit(x: h, y: s, rows: n, input: c, output: d, ridge: 0.01)
        return SASRecProbe(map: fit.map, intercept: fit.intercept, rows: n)
    }

    /// Rows centred over the catalog, then scaled to unit length. (I, C) in place.
    static func centreAndNormalize(_ rows: inout [Float], count n: Int, width c: Int) {
        var mean = [Double](repeating: 0, count: c)
        for r in 0 ..< n { for j in 0 ..< c { mean[j] += Double(rows[r * c + j]) } }
        for j in 0 ..< c { mean[j] /= Double(max(1, n)) }
        for r in 0 ..< n {
            var norm = 0.0
            for j in 0 ..< c { let v = Double(rows[r * c + j]) - mean[j]; rows[r * c + j] = Float(v); norm += v * v }
            let inv = Float(1 / max(norm.squareRoot(), 1e-12))
            for j in 0 ..< c { rows[r * c + j] *= inv }
        }
    }

    /// Centred log(1 + count of each item as a training target), (I).
    public static func itemPrior(dataset: Dataset, users: [Int]) -> [Float] {
        var counts = [Double](repeating: 0, count: dataset.numItems)
        for u in users { for i in dataset.train(u).dropFirst() { counts[i] += 1 } }
        let logs = counts.map { log(1 + $0) }
        let mean = logs.reduce(0, +) / Double(max(1, logs.count))
        return logs.map { Float($0 - mean) }
    }

    /// Everything the factorized head and the ridge projector start from.
    /// - Parameter anchors: SASRec, for the ridge probe that starts the SASRec block of Wp (nil: zeros).
    public static func compute(network: HDRecNetwork<Float>, prompts: PromptBuilder, dataset: Dataset, users: [Int],
                               ridgeProjector: Bool, anchors: SASRecAnchors?, probeUsers: Int = 600,
                               log: (String) -> Void) throws -> HeadStart {
        let base = network.base, c = base.config.width, d = network.config.sasrecWidth, n = network.itemCount
        let started = Date()
        let itemTokens = prompts.itemText.tokens
        let seqRow = base.meanTokenRow()
        var text = try frozenStates(base: base, sequences: itemTokens, addedRow: seqRow, addedFrom: prompts.seqToken)
        centreAndNormalize(&text, count: n, width: c)
        // E = [E_sas | E_text] (I, D + C)
        let k = d + c
        var table = [Float](repeating: 0, count: n * k)
        for i in 0 ..< n {
            for j in 0 ..< d { table[i * k + j] = network.sasrec[(i + 1) * d + j] }
            for j in 0 ..< c { table[i * k + d + j] = text[i * c + j] }
        }
        // κ: read states of up to 64 training prompts against the text rows.
        let sample = Array(users.prefix(64))
        let built = try sample.compactMap { u -> PromptSequence? in
            let train = Array(dataset.train(u))
            guard train.count >= 2 else { return nil }
            return try prompts.userPrompts(history: Array(train.dropLast())).text
        }
        let reads = try frozenStates(base: base, sequences: built.map(\.tokens), addedRow: seqRow, addedFrom: prompts.seqToken,
                                     pool: built.map { [$0.readPosition] })
        var spread = 0.0
        for b in 0 ..< built.count {
            var sum = 0.0, sq = 0.0
            for i in 0 ..< n {
                var z = 0.0
                for j in 0 ..< c { z += Double(reads[b * c + j]) * Double(text[i * c + j]) }
                sum += z; sq += z * z
            }
            let mean = sum / Double(n)
            spread += (max(sq / Double(n) - mean * mean, 0)).squareRoot()
        }
        spread /= Double(max(1, built.count))
        let kappa = Float(1 / max(spread, 1e-6))
        var initialization = HeadInitialization(itemPrior: itemPrior(dataset: dataset, users: users), textScale: kappa)
        if let anchors {
            initialization.sasrecProbe = try sasrecProbe(base: base, prompts: prompts, dataset: dataset,
                                                         users: Array(users.prefix(probeUsers)), anchors: anchors, seqRow: seqRow)
        }
        if ridgeProjector {
            // Mean token embeddings of each item's text: the place ID rows should arrive at.
            var meanTokens = [Float](repeating: 0, count: n * c)
            for (i, tokens) in itemTokens.enumerated() {
                let real = tokens.filter { $0 >= 0 && Int($0) < base.config.vocabSize }
                let scale = 1 / Float(max(1, real.count))
                for t in real { for j in 0 ..< c { meanTokens[i * c + j] += base.tokenEmbedding[Int(t) * c + j] * scale } }
            }
            let x = Array(network.sasrec[d...])
            initialization.projector = try ProjectorRidgeMap.fit(x: x, y: meanTokens, rows: n, input: d, output: c)
        }
        log(String(format: "head start: item-text table (%d × %d) from %d frozen layers, κ = %.3f (text-pass logit spread %.4f before), %@, %@ in %.1f s",
                   n, k, base.layers.count, kappa, spread, ridgeProjector ? "ridge projector" : "default projector",
                   initialization.sasrecProbe.map { "SASRec probe over \($0.rows) positions" } ?? "no SASRec probe",
                   Date().timeIntervalSince(started)))
        return HeadStart(itemTable: table, initialization: initialization)
    }
}
